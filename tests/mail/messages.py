"""Messages as customers' mail programs write them, for the mail tests."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime

from tests.cast import at


def email_bytes(
    *, sender: str = "Rob Acme <rob@acme.test>", to: str = "support@desk.test", subject: str = "Printer jammed",
    body: str = "Hello, the printer is jammed again.\n\nRob", message_id: str | None = "<m1@acme.test>",
    headers: dict[str, str] | None = None, html: str | None = None,
    attachments: list[tuple[str, str, bytes]] | None = None, date: str = "2026-03-06 09:30",
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(at(date))
    if message_id:
        msg["Message-ID"] = message_id
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    for filename, content_type, payload in attachments or []:
        maintype, subtype = content_type.split("/")
        msg.add_attachment(payload, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes()
