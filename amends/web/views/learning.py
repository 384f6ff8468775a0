"""Learning from a failure: its learning section of the failure page (and its own pages)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from amends.people.models import Agent
from amends.recovery.models import Failure


def learning_section(failure: Failure, agent: Agent, now: datetime) -> dict[str, Any]:
    """The context of `web/_failure_learning.html` on the failure's page (a fixed number of queries)."""
    return {}
