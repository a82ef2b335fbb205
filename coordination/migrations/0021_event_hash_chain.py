import django.utils.timezone
from django.db import migrations, models

from coordination import eventchain

# The append-only trigger (0002) refuses every update of an event on PostgreSQL; giving the existing events
# their hashes is the one rewrite the log ever gets, so the trigger is off for it and on again after, all in
# this migration's transaction.
TRIGGER_OFF = "ALTER TABLE coordination_event DISABLE TRIGGER coordination_event_append_only"
TRIGGER_ON = "ALTER TABLE coordination_event ENABLE TRIGGER coordination_event_append_only"


def link_existing_events(apps, schema_editor):
    """Each meeting's events get their hashes in the order they were written (by number)."""
    Event = apps.get_model("coordination", "Event")
    postgresql = schema_editor.connection.vendor == "postgresql"
    if postgresql:
        schema_editor.execute(TRIGGER_OFF)
    heads = {}
    for event in Event.objects.order_by("pk").iterator():
        key = (event.meeting_id, eventchain.chain_key(event))
        heads[key] = eventchain.digest(eventchain.content_of(event), heads.get(key, eventchain.GENESIS))
        Event.objects.filter(pk=event.pk).update(hash=heads[key])
    if postgresql:
        schema_editor.execute(TRIGGER_ON)


class Migration(migrations.Migration):
    dependencies = [
        ("coordination", "0020_minutes_agreements_actions"),
    ]

    operations = [
        migrations.AddField(
            model_name="event",
            name="hash",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="event",
            name="created_at",
            field=models.DateTimeField(db_index=True, default=django.utils.timezone.now, editable=False),
        ),
        migrations.RunPython(link_existing_events, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="event",
            constraint=models.CheckConstraint(
                condition=models.Q(("hash", ""), _negated=True), name="event_is_linked_into_its_chain"
            ),
        ),
        migrations.AddConstraint(
            model_name="event",
            constraint=models.CheckConstraint(
                condition=models.Q(("party", None), ("private", True), _negated=True),
                name="private_event_names_its_party",
            ),
        ),
    ]
