"""API tokens get an owner: an agent (acting with the agent's role) or an integration with a role; events
record the token that made them.

Tokens made before roles existed were integrations that could do anything through the API; they become
integration tokens with the admin role, so that every call they make keeps working after the upgrade.
An operator narrows one by revoking it and creating another with `amends token create NAME --role ...`."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0006_notification_email"),
        ("people", "0004_duty_rota"),
    ]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="role",
            field=models.CharField(
                blank=True, choices=[("agent", "Agent"), ("lead", "Lead"), ("admin", "Admin")], default="admin",
                help_text="An integration's role; empty for an agent's token, which has the agent's role.",
                max_length=10,
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="apitoken",
            name="agent",
            field=models.ForeignKey(
                blank=True, help_text="The agent this token acts as; empty for an integration's token.", null=True,
                on_delete=django.db.models.deletion.CASCADE, related_name="api_tokens", to="people.agent",
            ),
        ),
        migrations.AddConstraint(
            model_name="apitoken",
            constraint=models.CheckConstraint(
                condition=models.Q(("agent__isnull", True), ("role__in", ["agent", "lead", "admin"]))
                | models.Q(("agent__isnull", False), ("role", "")),
                name="apitoken_agent_or_role",
            ),
        ),
        migrations.AddField(
            model_name="event",
            name="token",
            field=models.ForeignKey(
                blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL,
                related_name="+", to="core.apitoken",
            ),
        ),
        migrations.AddIndex(
            model_name="event",
            index=models.Index(condition=models.Q(("token__isnull", False)), fields=["token"], name="event_token"),
        ),
    ]
