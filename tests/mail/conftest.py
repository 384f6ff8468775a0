import pytest

from amends.customers.models import Account
from amends.mail.models import Mailbox, MailDomain
from tests.cast import T0
from tests.mail.smtp import silent_smtp, smtp_server  # noqa: F401 (fixtures: a real SMTP server, a silent one)


@pytest.fixture(autouse=True)
def _mail_storage(settings, tmp_path):
    """Raw messages and attachments go to a temporary directory."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def mailbox(cast):
    holding = Account.objects.create(name="Unconfirmed senders", team=cast.team, created_at=T0)
    MailDomain.objects.create(domain="acme.test", account=cast.acme)
    return Mailbox.objects.create(name="support", address="support@desk.test", team=cast.team,
                                  holding_account=holding)
