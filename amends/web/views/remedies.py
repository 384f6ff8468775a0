"""Making a failure right: its remedies section of the failure page (and its own pages)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from amends.people.models import Agent
from amends.recovery.models import Failure


def remedies_section(failure: Failure, agent: Agent, now: datetime) -> dict[str, Any]:
    """The context of `web/_failure_remedies.html` on the failure's page (a fixed number of queries)."""
    return {}
