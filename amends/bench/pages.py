"""Page latency: a team lead signs in like a browser and asks for the workspace's busiest pages.

The lead (a new staff user in the first bench team) signs in through /login/ with the CSRF token,
keeps the session cookie, and requests each page sequentially, asking to keep the connection as a browser
does (if the server closes it, the client reconnects): a few
warm-up requests, then `runs` timed ones (wall time from sending to the last byte of the body).
The number of SQL queries per page is counted in-process with Django's test client.
"""

from __future__ import annotations

import http.client
import re
import secrets
import statistics
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.cookies import SimpleCookie
from urllib.parse import urlencode

from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from amends.bench.build import Scenario
from amends.people.models import Agent, Role

# (figure name, path): the needs-attention board in the lead's default scope (team) and for all teams,
# the queue page (the lead's team, all open) and its Open tab.
PAGES: tuple[tuple[str, str], ...] = (
    ("attention", "/"),
    ("attention_all", "/?scope=all"),
    ("queue", "/queues/"),
    ("queue_open", "/queues/?state=open"),
)
# Searches (figure `search`): a rare part number and common words, two words, a prefix, a reference, a contact's
# email address, an account's name, and two with filters (closed requests; an open state and a date range).
SEARCHES: tuple[str, ...] = (
    "/search/?q=P012345",
    "/search/?q=fuser",
    "/search/?q=printer",
    "/search/?q=toner+jam",
    "/search/?q=cartr",
    "/search/?q=AM-4242",
    "/search/?q=contact0042%40customer.test",
    "/search/?q=Account+0417+invoice",
    "/search/?q=router+offline&state=any_closed",
    "/search/?q=label&state=any_open&from=2020-01-01&to=2099-12-31",
)


def report_pages(now: datetime) -> tuple[tuple[str, str], ...]:
    """Figure `reports`: the desk's report for every team over its default four weeks and over a year (a year of
    the bench's closed requests is about half of them), the recovery reports, and the queues' resolved & closed
    tab (the history a lead pages through)."""
    year = (now - timedelta(days=364)).date().isoformat()
    return (
        ("desk_report", "/review/desk/"),
        ("desk_report_year", f"/review/desk/?start={year}"),
        ("recovery_reports", "/review/reports/"),
        ("closed", "/queues/?state=closed"),
    )


LEAD_USERNAME = "bench-lead"
_CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def lead_create(scenario: Scenario) -> tuple[User, str]:
    """A staff user with a lead's Agent profile in the first bench team, and its (random) password."""
    password = secrets.token_urlsafe(18)
    user = User.objects.create_user(
        LEAD_USERNAME, email="bench-lead@amends.test", password=password, first_name="Bench", last_name="Lead",
        is_staff=True,
    )
    Agent.objects.create(user=user, team_id=scenario.team_ids[0], role=Role.LEAD)
    return user, password


@dataclass
class Browser:
    """A client that keeps cookies and asks to keep its connection, as a browser tab would."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def send(self, method: str, path: str, body: str | None = None) -> tuple[int, str, bytes]:
        """Status, Location and body of one request; Set-Cookie headers are kept."""
        headers = {"Connection": "keep-alive", "Accept": "text/html"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body, headers)
        reply = self.conn.getresponse()
        data = reply.read()
        for raw in reply.headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(raw)
            self.cookies.update({k: m.value for k, m in jar.items()})
        return reply.status, reply.headers.get("Location", ""), data

    def sign_in(self, username: str, password: str) -> None:
        status, _, page = self.send("GET", "/login/")
        found = _CSRF_INPUT.search(page.decode(errors="replace"))
        if status != 200 or not found or "csrftoken" not in self.cookies:
            raise RuntimeError(f"GET /login/ gave {status} without a CSRF token")
        form = {"csrfmiddlewaretoken": found.group(1), "username": username, "password": password, "next": "/"}
        status, location, page = self.send("POST", "/login/", urlencode(form))
        if status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"POST /login/ gave {status} {location}: {page[:300].decode(errors='replace')}")

    def close(self) -> None:
        self.conn.close()


@dataclass
class PageTiming:
    path: str
    millis: list[float]
    errors: int
    bytes: int

    def percentile(self, q: int) -> float | None:
        if len(self.millis) < 2:
            return round(self.millis[0], 1) if self.millis else None
        return round(statistics.quantiles(self.millis, n=100, method="inclusive")[q - 1], 1)


def pages_time(
    port: int, username: str, password: str, *, warmup: int, runs: int,
    pages: tuple[tuple[str, str | tuple[str, ...]], ...] = PAGES,
) -> dict[str, PageTiming]:
    """Sign in, then request each page `warmup` + `runs` times in a row on one connection (a page given as
    several paths asks for each in turn)."""
    browser = Browser(port)
    try:
        browser.sign_in(username, password)
        out: dict[str, PageTiming] = {}
        for name, paths in pages:
            paths = (paths,) if isinstance(paths, str) else paths
            timing = PageTiming(paths[0], [], 0, 0)
            for n in range(warmup + runs):
                path = paths[n % len(paths)]
                started = time.perf_counter()
                status, _, body = browser.send("GET", path)
                elapsed = (time.perf_counter() - started) * 1000
                if status != 200:
                    timing.errors += 1
                elif n >= warmup:
                    timing.millis.append(elapsed)
                    timing.bytes = len(body)
            out[name] = timing
        return out
    finally:
        browser.close()


@dataclass
class PageQueries:
    count: int
    sql_ms: float  # all the page's queries, as the database cursor wrapper timed them
    slowest_ms: float
    slowest_sql: str
    cpu_ms: float = 0.0  # this process's CPU for the whole page (median of the runs): rendering included


def pages_queries(
    user: User, runs: int = 5, more: tuple[tuple[str, str], ...] = ()
) -> dict[str, PageQueries]:
    """Each page (and `more`) `runs` times in-process (test client, signed in as `user`) with its queries
    captured: the query count and SQL time of the run with the least SQL time, and the median CPU time."""
    client = Client()
    client.force_login(user)
    out: dict[str, PageQueries] = {}
    for name, path in (*PAGES, ("search", SEARCHES[1]), *more):
        best: PageQueries | None = None
        cpu: list[float] = []
        for _ in range(runs):
            started = time.process_time()
            with CaptureQueriesContext(connection) as captured:
                reply = client.get(path)
            cpu.append((time.process_time() - started) * 1000)
            if reply.status_code != 200:
                raise RuntimeError(f"GET {path} in-process gave {reply.status_code}")
            times = [float(q["time"]) * 1000 for q in captured.captured_queries]
            slowest = max(range(len(times)), key=times.__getitem__)
            result = PageQueries(
                len(times), round(sum(times), 1), round(times[slowest], 1), captured.captured_queries[slowest]["sql"]
            )
            if best is None or result.sql_ms < best.sql_ms:
                best = result
        assert best is not None
        best.cpu_ms = round(statistics.median(cpu), 1)
        out[name] = best
    return out
