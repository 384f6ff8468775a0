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
                help_text="Set automatically when an open request is given to this agent.",
            ),
        ),
        migrations.AddField(
            model_name="agent",
            name="open_load",
            field=models.IntegerField(
                "open requests", default=0, editable=False,
                help_text="Counted automatically: the open requests this agent owns.",
            ),
        ),
    ]
