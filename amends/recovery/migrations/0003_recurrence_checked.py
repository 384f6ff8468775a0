
from django.db import migrations, models


def compared_by_the_cursor(apps, schema_editor):
    """The failures the old cursor (learning's RecurrenceCursor) had already read were compared once: mark them,
    so that the new index does not compare them again."""
    cursor = apps.get_model("learning", "RecurrenceCursor").objects.order_by("pk").first()
    if cursor is not None:
        Failure = apps.get_model("recovery", "Failure")
        Failure.objects.filter(pk__lte=cursor.last_failure_id).update(recurrence_checked_at=cursor.moved_at)


class Migration(migrations.Migration):

    dependencies = [
        ('desk', '0014_promise_kind_apology'),
        ('people', '0005_signin_policy'),
        ('recovery', '0002_failure_remind_at'),
        ('learning', '0002_reviews_overdue_and_recurrence_cursor'),
    ]

    operations = [
        migrations.AddField(
            model_name='failure',
            name='recurrence_checked_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name='failure',
            index=models.Index(condition=models.Q(('recurrence_checked_at__isnull', True), models.Q(('state__in', ['proposed', 'dismissed']), _negated=True)), fields=['id'], name='failure_recurrence_unchecked'),
        ),
        migrations.RunPython(compared_by_the_cursor, migrations.RunPython.noop),
    ]
