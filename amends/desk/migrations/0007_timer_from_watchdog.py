"""The timers move from the watchdog to the desk, which writes them (state only: the table stays)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("desk", "0006_ticket_agenda"),
        ("watchdog", "0002_fewer_index_entries"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Timer",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("kind", models.CharField(choices=[("promise_warn", "Warn the promise's owner"), ("promise_due", "Promise due: mark broken, tell the lead"), ("promise_escalate", "Promise still broken: reassign, tell the manager"), ("assign_due", "Still unowned at the assignment deadline"), ("resolution_warn", "Warn the owner before the resolution target"), ("resolution_due", "Resolution target passed: tell the lead"), ("resolution_escalate", "Resolution still overdue: reassign, tell the manager"), ("followup_due", "Waiting on the customer too long: tell the owner"), ("order_at_risk", "Order close to its need-by time and not dispatched")], max_length=20)),
                        ("fire_at", models.DateTimeField()),
                        ("promise", models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name="timers", to="desk.promise")),
                        ("ticket", models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="timers", to="desk.ticket")),
                    ],
                    options={
                        "db_table": "watchdog_timer",
                        "indexes": [
                            models.Index(fields=["fire_at", "id"], name="timer_fire_at"),
                            models.Index(fields=["ticket", "kind"], name="timer_ticket_kind"),
                            models.Index(condition=models.Q(("promise__isnull", False)), fields=["promise"], name="timer_promise"),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
