"""What the watchdog asks of the weekly review and the process audits with each tick: open the audits that
fell due (telling their owners), and email the weekly pack once when it is due. The worker runs it after the
tick (not inside it, so the tick keeps its own query budget); four cheap queries when there is nothing to do."""

from __future__ import annotations

import logging
from datetime import datetime

from amends.learning.audits import audits_open
from amends.learning.weekly_review import weekly_pack_send

log = logging.getLogger(__name__)


def review_schedule_check(now: datetime) -> list[str]:
    """One line per thing done; a failure of one part is logged and leaves the other to run."""
    lines: list[str] = []
    for part in (audits_open, weekly_pack_send):
        try:
            lines.extend(part(now))
        except Exception:
            log.exception("watchdog: %s failed at %s", part.__name__, now.isoformat())
    return lines
