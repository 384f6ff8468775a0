from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("people", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="agent",
            name="last_assigned_at",
            field=models.DateTimeField(
                blank=True, null=True,
                help_text="When an open request last came to this agent (kept by the database, as open_load).",
            ),
        ),
        migrations.AddField(
            model_name="agent",
            name="open_load",
            field=models.IntegerField(
                default=0, editable=False,
                help_text="Open requests this agent owns. Kept by the database itself (triggers on requests, desk "
                "migration 0005), in the same transaction as every change of a request's owner or state.",
            ),
        ),
    ]
