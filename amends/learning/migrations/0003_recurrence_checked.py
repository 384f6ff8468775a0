
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('learning', '0002_reviews_overdue_and_recurrence_cursor'),
        ('recovery', '0003_recurrence_checked'),  # which reads the cursor's last position first
    ]

    operations = [
        migrations.DeleteModel(
            name='RecurrenceCursor',
        ),
    ]
