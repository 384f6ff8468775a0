"""How times are written in messages to staff and customers: in the server's time zone.

The zone is looked up once per name, not on every call (the watchdog writes a thousand messages a tick)."""

from __future__ import annotations

from datetime import datetime, tzinfo
from functools import cache
from zoneinfo import ZoneInfo

from django.conf import settings


@cache
def _zone(name: str) -> tzinfo:
    return ZoneInfo(name)


def local(ts: datetime) -> datetime:
    return ts.astimezone(_zone(settings.TIME_ZONE))


def when(ts: datetime) -> str:
    """'Fri 06 Mar 10:00'"""
    return local(ts).strftime("%a %d %b %H:%M")


def hm(ts: datetime) -> str:
    """'10:00'"""
    return local(ts).strftime("%H:%M")
