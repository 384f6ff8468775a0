"""Is the background worker doing its job? Read by the staff banner, `GET /healthz` and `amends status`."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q, Subquery

from amends.core.models import Notification, Outbox
from amends.desk.models import Ticket
from amends.mail.models import Mailbox
from amends.watchdog.models import Schedule
from amends.watchdog.worker import WATCHDOG

TICK_STALE = timedelta(minutes=2)
OUTBOX_STALE = timedelta(minutes=10)
MAIL_POLL_STALE = timedelta(minutes=10)  # beyond the poll period (AMENDS_MAIL_POLL_SECONDS)
_PENDING = Q(sent_at__isnull=True, failed_at__isnull=True)  # the partial indexes' condition
_polled = Mailbox.objects.exclude(imap_host="")  # the mailboxes the worker polls


def health_problems(now: datetime) -> list[str]:
    """What is wrong as of `now`, in words for people; empty when all is well.

    One query of scalar subqueries: the heartbeat; per table the creation time of the oldest message
    neither sent nor given up; a polled mailbox whose last poll failed, and the oldest last poll (only pending rows are read, through each table's partial index;
    a notice without an address is never pending). It is asked of any one request's row: with no
    request there is nothing to watch yet, and nothing to report.
    """
    row = (
        Ticket.objects.order_by()
        .annotate(
            done=Subquery(Schedule.objects.filter(name=WATCHDOG).values("last_done_at")[:1]),
            outbox=Subquery(Outbox.objects.filter(_PENDING).order_by("created_at").values("created_at")[:1]),
            notice=Subquery(
                Notification.objects.filter(_PENDING, next_attempt_at__isnull=False)
                .order_by("created_at").values("created_at")[:1]
            ),
            mail_failing=Subquery(_polled.exclude(last_poll_error="").order_by("name").values("name")[:1]),
            mail_polled=Subquery(
                _polled.filter(last_polled_at__isnull=False).order_by("last_polled_at").values("last_polled_at")[:1]
            ),
        )
        .values("done", "outbox", "notice", "mail_failing", "mail_polled")
        .first()
    )
    if row is None:
        return []
    problems = []
    if row["done"] is None:
        problems.append("The watchdog has never completed a tick: is the worker (amends worker) running?")
    elif now - row["done"] > TICK_STALE:
        problems.append(f"The watchdog has not completed a tick for {_minutes(now - row['done'])}.")
    oldest = min((at for at in (row["outbox"], row["notice"]) if at is not None), default=None)
    if oldest is not None and now - oldest > OUTBOX_STALE:
        problems.append(f"The oldest undelivered message is {_minutes(now - oldest)} old: is the mail server answering?")
    if row["mail_failing"] is not None:
        problems.append(f"Mailbox {row['mail_failing']} cannot be polled: see Email in for the server's answer.")
    stale = timedelta(seconds=settings.AMENDS_MAIL_POLL_SECONDS) + MAIL_POLL_STALE
    if row["mail_polled"] is not None and now - row["mail_polled"] > stale:
        problems.append(f"A mailbox has not been polled for {_minutes(now - row['mail_polled'])}: "
                        "is the worker's mail loop running?")
    return problems


def _minutes(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return "1 minute" if minutes == 1 else f"{minutes:,} minutes"
