"""What intake reads before it decides, in one query: the account, the reference stamp, the team's roster
(with the account's usual agent) and, on PostgreSQL, the keys of the rows it will write.

Each of these was a round trip of its own, and on PostgreSQL a round trip costs more than the reading it
carries (client and server CPU for the message, a transaction, two context switches): one query instead
of four took 1.6 ms of CPU off an API create that costs 15.7 ms (2026-12 measurement). On PostgreSQL
it is prepared once per connection (`amends.core.prepared`): planning it was most of its server time.
The keys are drawn from the tables' sequences only when the account exists; a request that is then
refused leaves a gap in the numbers, as any rolled-back insert does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, models

from amends.core.errors import DomainError
from amends.core.prepared import prepared_cursor
from amends.core.reference import STAMP_SQL, Snapshot
from amends.core.writes import key_sequence
from amends.customers.models import Account
from amends.desk.models import Promise, Ticket
from amends.people.queries import ROSTER_COLUMNS, ROSTER_WIDTH, Roster, roster_instant, roster_of

ACCOUNT_COLUMNS = ("id", "name", "tier", "team_id", "usual_agent_id")

_SQL = """
WITH acct AS (SELECT {account} FROM customers_account WHERE id = %s){keys_cte}
SELECT {account_cols}, ({stamp}){keys_cols},
       {roster}
FROM acct{keys_join}
LEFT JOIN people_agent ag ON ag.team_id = COALESCE(%s, acct.team_id) OR ag.user_id = acct.usual_agent_id
LEFT JOIN auth_user u ON u.id = ag.user_id
"""
# PostgreSQL: the CTE holds volatile calls, so it is computed once, and only for an account that exists.
_KEYS_CTE = """,
keys AS (SELECT nextval(%s::regclass) AS ticket,
                ARRAY(SELECT nextval(%s::regclass) FROM generate_series(1, %s)) AS promises
         FROM acct)"""


@dataclass
class IntakeReads:
    account: Account
    ref: Snapshot
    roster: Roster
    keys: dict[type[models.Model], list[int]] = field(default_factory=dict)  # drawn for the rows to write


def _sql(draw: bool) -> str:
    return _SQL.format(
        account=", ".join(ACCOUNT_COLUMNS), account_cols=", ".join(f"acct.{c}" for c in ACCOUNT_COLUMNS),
        stamp=STAMP_SQL, roster=ROSTER_COLUMNS,
        keys_cte=_KEYS_CTE if draw else "",
        keys_cols=", keys.ticket, keys.promises" if draw else "", keys_join=" CROSS JOIN keys" if draw else "",
    )


_QUERIES = {draw: _sql(draw) for draw in (False, True)}  # by whether it draws keys (PostgreSQL)


def intake_reads(account_id: int, now: datetime, *, team_id: int | None = None, promises: int = 0) -> IntakeReads:
    """The account (a 422 naming `account` when there is none), the reference snapshot, and the roster of
    `team_id` (default: the account's team). On PostgreSQL, keys for one request and `promises` promises."""
    draw = connection.vendor == "postgresql"
    keys = [key_sequence(Ticket, connection), key_sequence(Promise, connection), promises] if draw else []
    params = [account_id, *keys, *roster_instant(now), team_id]
    with prepared_cursor(connection) as cursor:
        cursor.execute(_QUERIES[draw], params)
        rows = cursor.fetchall()
    if not rows:
        raise DomainError(f"no account {account_id}", field="account")
    first = rows[0]
    width = len(ACCOUNT_COLUMNS)
    account = Account.from_db(connection.alias, list(ACCOUNT_COLUMNS), first[:width])
    keys: dict[type[models.Model], list[int]] = {}
    if draw:
        keys = {Ticket: [first[width + 1]], Promise: list(first[width + 2])}
    team = team_id if team_id is not None else account.team_id
    members = [row[-ROSTER_WIDTH:] for row in rows if row[-ROSTER_WIDTH] is not None]  # no member: a NULL row
    return IntakeReads(account=account, ref=Snapshot(first[width]), roster=roster_of(members, team), keys=keys)
