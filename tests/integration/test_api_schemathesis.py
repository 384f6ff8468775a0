"""schemathesis, in process, with all its checks over every operation: the API accepts what its schema
allows and refuses what it does not, and answers as it documents. Marked `schemathesis`: CI runs it as a
step of its own, bounded in time (`.ci/run`); `pytest -m schemathesis` runs it here.

The WSGI calls run inside the test's transaction (Django's test client does the same): the signal that
closes old connections at each request is disconnected for the module."""

from datetime import timedelta

import pytest
import schemathesis
import time_machine
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from amends.core.tokens import token_create
from amends.desk.intake import ticket_create
from amends.desk.promises import promise_make
from amends.people.services import absence_add
from amends.wsgi import application
from tests.cast import T0
from tests.integration.api_support import FRIDAY

pytestmark = pytest.mark.schemathesis

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
EXAMPLES = 25  # per operation and phase; the whole module takes about a minute on two cores


@pytest.fixture(scope="module", autouse=True)
def _calls_keep_the_test_connection():
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def key(cast):
    """An admin integration's key (every operation is allowed), and records the generated ids can find:
    a request with promises, an absence."""
    with time_machine.travel(FRIDAY, tick=False):
        ticket = ticket_create(account=cast.acme, subject="Printer on fire", now=FRIDAY)
        promise_make(ticket, kind="update", due_at=FRIDAY + timedelta(hours=2), now=FRIDAY)
        absence_add(cast.bob, starts_at=FRIDAY + timedelta(days=3), ends_at=FRIDAY + timedelta(days=4), now=FRIDAY)
    _, raw = token_create("schemathesis", now=T0, role="admin")
    return raw


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_means_what_its_schema_says(case, key):
    with time_machine.travel(FRIDAY, tick=False):
        case.call_and_validate(headers={"Authorization": f"Bearer {key}"})
