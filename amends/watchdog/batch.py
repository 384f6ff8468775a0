"""What one batch of the tick has done so far: the lines it prints and the changes it saves at the end."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from amends.core.reference import Snapshot
from amends.desk.models import Ticket


class Referenced(Protocol):
    """A ticket, as a model instance or as the values a warning reads."""

    @property
    def reference(self) -> str: ...


class Named(Protocol):
    """An agent, as a model instance or as the values a warning reads."""

    @property
    def name(self) -> str: ...


@dataclass
class Batch:
    now: datetime
    ref: Snapshot | None = None  # the reference data (policies, calendars, chains) the batch reads, once
    lines: list[str] = field(default_factory=list)
    warned_promises: list[int] = field(default_factory=list)
    dirty: dict[int, Ticket] = field(default_factory=dict)

    def say(self, ticket: Referenced, text: str) -> None:
        self.lines.append(f"{self.now.isoformat(timespec='minutes')} {ticket.reference} {text}")


def who(agent: Named | None) -> str:
    return agent.name if agent is not None else "nobody"
