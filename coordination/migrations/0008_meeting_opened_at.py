"""Meeting.opened_at: when the meeting was first opened for answers.

The invited parties see a meeting only once it has been opened, so a draft
that is cancelled stays the conveners' own. Existing meetings get the time of
their first "opened the meeting for answers" event; a meeting past the draft
without one (it cannot be confirmed, rescheduled or held without being opened)
gets its creation time; a cancelled meeting without one was cancelled as a
draft and stays unopened.
"""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def set_opened_at(apps, schema_editor):
    Meeting = apps.get_model("coordination", "Meeting")
    Event = apps.get_model("coordination", "Event")
    first_opened = (
        Event.objects.filter(meeting=OuterRef("pk"), action="polling_opened")
        .order_by("created_at")
        .values("created_at")[:1]
    )
    Meeting.objects.exclude(status="draft").update(opened_at=Subquery(first_opened))
    Meeting.objects.filter(opened_at__isnull=True).exclude(status__in=["draft", "cancelled"]).update(
        opened_at=models.F("created_at")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("coordination", "0007_position_html"),
    ]

    operations = [
        migrations.AddField(
            model_name="meeting",
            name="opened_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(set_opened_at, migrations.RunPython.noop, elidable=False),
    ]
