"""A plainer core: intake writes its timers at once (no `agenda_at` left for the watchdog), the open-load
triggers go (assignment counts open requests through the open-owner index), and the timer table takes
the desk's name."""

from datetime import timedelta

from django.db import migrations

TRIGGERS_SQLITE = [
    "DROP TRIGGER IF EXISTS desk_ticket_open_load_insert",
    "DROP TRIGGER IF EXISTS desk_ticket_open_load_update",
    "DROP TRIGGER IF EXISTS desk_ticket_open_load_delete",
]
TRIGGERS_POSTGRESQL = [
    "DROP TRIGGER IF EXISTS desk_ticket_open_load_insert ON desk_ticket",
    "DROP TRIGGER IF EXISTS desk_ticket_open_load_update ON desk_ticket",
    "DROP TRIGGER IF EXISTS desk_ticket_open_load_delete ON desk_ticket",
    "DROP FUNCTION IF EXISTS amends_open_load()",
]
OPEN = ("new", "open", "in_progress", "pending", "waiting_on_customer", "dispatched")
FALLBACK_REASSIGN = timedelta(minutes=30)


def agenda_to_timers(apps, schema_editor):
    """Requests whose moments intake had left unwritten get the timers that keep their deadlines: the
    resolution target and its escalation, the assignment deadline of an unowned one, and each live promise's
    due time and escalation (warnings already passed are not sent late)."""
    Ticket = apps.get_model("desk", "Ticket")
    Promise = apps.get_model("desk", "Promise")
    Timer = apps.get_model("desk", "Timer")
    pending = Ticket.objects.filter(agenda_at__isnull=False, state__in=OPEN)
    timers = []
    for ticket in pending.iterator():
        if ticket.resolution_due is not None:
            timers.append(Timer(ticket=ticket, kind="resolution_due", fire_at=ticket.resolution_due))
            timers.append(Timer(ticket=ticket, kind="resolution_escalate", fire_at=ticket.resolution_due + FALLBACK_REASSIGN))
        if ticket.owner_id is None and ticket.assign_by is not None:
            timers.append(Timer(ticket=ticket, kind="assign_due", fire_at=ticket.assign_by))
        for promise in Promise.objects.filter(ticket=ticket, state__in=("open", "broken")):
            timers.append(Timer(ticket=ticket, promise=promise, kind="promise_due", fire_at=promise.due_at))
            timers.append(Timer(ticket=ticket, promise=promise, kind="promise_escalate",
                                fire_at=promise.due_at + FALLBACK_REASSIGN))
    Timer.objects.bulk_create(timers, batch_size=1000)


def triggers_drop(apps, schema_editor):
    statements = TRIGGERS_POSTGRESQL if schema_editor.connection.vendor == "postgresql" else TRIGGERS_SQLITE
    with schema_editor.connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ("desk", "0007_timer_from_watchdog"),
        ("watchdog", "0003_timer_to_desk"),
    ]

    operations = [
        migrations.RunPython(agenda_to_timers, migrations.RunPython.noop),
        migrations.RemoveIndex(model_name="ticket", name="ticket_agenda"),
        migrations.RemoveField(model_name="ticket", name="agenda_at"),
        migrations.RunPython(triggers_drop, migrations.RunPython.noop),
        migrations.AlterModelTable(name="timer", table=None),
    ]
