from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('desk', '0014_promise_kind_apology'),
        ('people', '0005_signin_policy'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='promise',
            index=models.Index(condition=models.Q(('broken_at__isnull', False)), fields=['broken_at'], name='promise_broken'),
        ),
    ]
