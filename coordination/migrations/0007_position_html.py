from django.db import migrations, models

from coordination import markdown


def render_existing(apps, schema_editor):
    """Every saved position's HTML, rendered once here so no page renders Markdown again."""
    Position = apps.get_model("coordination", "Position")
    batch = []
    for position in Position.objects.only("pk", "text").iterator(chunk_size=500):
        position.html = markdown.render(position.text)
        batch.append(position)
        if len(batch) == 500:
            Position.objects.bulk_update(batch, ["html"])
            batch = []
    Position.objects.bulk_update(batch, ["html"])


class Migration(migrations.Migration):
    dependencies = [
        ("coordination", "0006_notices"),
    ]

    operations = [
        migrations.AddField(
            model_name="position",
            name="html",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.RunPython(render_existing, migrations.RunPython.noop),
    ]
