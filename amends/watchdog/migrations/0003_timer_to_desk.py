"""The timers belong to the desk now (`desk.0007`): the watchdog forgets the model, the table stays."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("watchdog", "0002_fewer_index_entries"),
        ("desk", "0007_timer_from_watchdog"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="Timer")], database_operations=[]),
    ]
