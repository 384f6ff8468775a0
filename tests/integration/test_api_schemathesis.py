"""schemathesis, in process, with all its checks over every operation: the API accepts what its schema
allows and refuses what it does not, and answers as it documents. Marked `schemathesis`: CI runs it as a
step of its own, bounded in time (`.ci/run`); `pytest -m schemathesis` runs it here.

The WSGI calls run inside the test's transaction (Django's test client does the same): the signal that
closes old connections at each request is disconnected for the module."""

import os
from datetime import timedelta

import pytest
import schemathesis
import time_machine
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from amends.core.models import ApiToken
from amends.core.tokens import key_hash
from amends.desk.intake import ticket_create
from amends.desk.promises import promise_make
from amends.people.services import absence_add
from amends.wsgi import application
from tests.cast import T0
from tests.integration.api_support import FRIDAY

pytestmark = pytest.mark.schemathesis

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
# Examples per operation and phase: 25 take about a minute on two cores. The same examples every run (the
# CI step is a gate, not a lottery); SCHEMATHESIS_EXAMPLES=500 SCHEMATHESIS_RANDOM=1 explores further.
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "25"))
DERANDOMIZE = not os.environ.get("SCHEMATHESIS_RANDOM")


@pytest.fixture(scope="module", autouse=True)
def _calls_keep_the_test_connection():
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


KEY = "schemathesis-test-key-not-a-secret"  # each test stores an admin integration's token with this key


@schema.auth(refresh_interval=None)
class Bearer:
    """The key goes in through schemathesis's auth, so that it knows the requests carry one (and leaves it
    out when a check probes the API without it)."""

    def get(self, case, context):
        return KEY

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@pytest.fixture
def key(cast):
    """An admin integration's token (every operation is allowed), and records the generated ids can find:
    a request with promises, an absence."""
    with time_machine.travel(FRIDAY, tick=False):
        ticket = ticket_create(account=cast.acme, subject="Printer on fire", now=FRIDAY)
        promise_make(ticket, kind="update", due_at=FRIDAY + timedelta(hours=2), now=FRIDAY)
        absence_add(cast.bob, starts_at=FRIDAY + timedelta(days=3), ends_at=FRIDAY + timedelta(days=4), now=FRIDAY)
    ApiToken.objects.create(name="schemathesis", key_hash=key_hash(KEY), prefix=KEY[:8], role="admin", created_at=T0)
    return KEY


@schema.parametrize()
@settings(max_examples=EXAMPLES, derandomize=DERANDOMIZE, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_means_what_its_schema_says(case, key):
    with time_machine.travel(FRIDAY, tick=False):
        case.call_and_validate()
