"""Agents lose the two columns the open-load triggers kept (dropped in desk 0008): assignment counts
open requests through the open-owner index instead."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("people", "0002_agent_open_load"),
        ("desk", "0008_plain_core"),
    ]

    operations = [
        migrations.RemoveField(model_name="agent", name="open_load"),
        migrations.RemoveField(model_name="agent", name="last_assigned_at"),
    ]
