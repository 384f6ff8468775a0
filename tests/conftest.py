import os

import pytest

# Playwright's sync API runs an asyncio loop in the test thread; the ORM refuses that without this.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def django_db_modify_db_settings(tmp_path_factory):
    """On SQLite, the test database is a file in WAL mode as in production, not Django's shared-cache
    in-memory database: there a writer in another thread (a worker's delivery loop) fails at once with
    "database table is locked" instead of waiting out the busy timeout as real connections do."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.sqlite3":
        db["TEST"] = {**db.get("TEST", {}), "NAME": str(tmp_path_factory.mktemp("db") / "test.sqlite3")}


@pytest.fixture(autouse=True)
def _fast_tests(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _mail_to_memory(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}


@pytest.fixture(autouse=True)
def _reference_forgotten():
    """Each test starts with no reference data kept in memory (a rolled-back test's teams are gone)."""
    from amends.core.reference import reference_forget

    reference_forget()


@pytest.fixture
def cast(db):
    from tests.cast import make_cast

    return make_cast()


from tests.integration.webhook_receiver import receiver  # noqa: E402, F401 (a fixture: a real HTTP server taking webhooks)


def pytest_collection_modifyitems(config, items):
    """The schemathesis fuzz runs in a CI step of its own (`pytest -m schemathesis`), not in every suite run."""
    if "schemathesis" in (config.option.markexpr or ""):
        return
    skip = pytest.mark.skip(reason="the schemathesis step runs it: pytest -m schemathesis")
    for item in items:
        if "schemathesis" in item.keywords:
            item.add_marker(skip)
