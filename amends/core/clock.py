"""The only place that reads the wall clock. Call it at the edge (a view, a command, the worker
loop) and pass `now` down; services, policies and the watchdog take `now` as a parameter."""

from datetime import datetime

from django.utils import timezone


def wall_now() -> datetime:
    return timezone.now()


def parse_now(value: str | None) -> datetime:
    """`--now` for commands: an ISO 8601 instant (a naive one is read in the server's time zone)."""
    if not value:
        return wall_now()
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"--now: {value!r} is not an ISO 8601 date and time, e.g. 2026-03-06T09:30+00:00") from exc
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed
