import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0010_event_failure'),
        ('recovery', '0003_recurrence_checked'),
    ]

    operations = [
        migrations.AddField(
            model_name='notification',
            name='failure',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='recovery.failure'),
        ),
    ]
