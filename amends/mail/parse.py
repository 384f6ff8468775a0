"""Reading a raw message: the fields Amends needs, robust to broken MIME and unknown character sets.

imap-tools' `MailMessage` does the MIME work (decoded headers, text and HTML parts, attachments, with
replacement characters for undecodable bytes); the HTML is sanitised with nh3 and the reply shown to
people is trimmed of quoted history and signature by mail-parser-reply. Nothing here touches the
database.
"""

from __future__ import annotations

import hashlib
import html as html_lib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

import nh3
from django.utils.html import strip_tags
from imap_tools import MailAttachment, MailMessage
from mailparser_reply import EmailReplyParser

T = TypeVar("T")
# Languages whose reply headers ("On … wrote:", "Am … schrieb …:", "Von:/Gesendet:" …) are recognised.
REPLY_LANGUAGES = ["en", "de", "fr", "es", "it", "nl"]
_MESSAGE_ID = re.compile(r"<([^<>\s]{1,490})>")
ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "div", "em", "h1", "h2", "h3", "h4", "hr", "i", "img", "li",
    "ol", "p", "pre", "q", "s", "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead",
    "tr", "u", "ul",
}


@dataclass
class Attachment:
    filename: str
    content_type: str
    payload: bytes


@dataclass
class Parsed:
    """What a message says, as read from it."""

    message_id: str = ""
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    from_address: str = ""
    from_name: str = ""
    to: list[str] = field(default_factory=list)
    subject: str = ""
    sent_at: datetime | None = None
    text: str = ""
    html: str = ""
    reply_text: str = ""
    headers: dict[str, str] = field(default_factory=dict)  # lower-cased name -> first value, unfolded
    content_type: str = ""
    attachments: list[Attachment] = field(default_factory=list)

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")


def message_ids(value: str) -> list[str]:
    """The <ids> named in a Message-ID, In-Reply-To or References header, in order."""
    return [f"<{m}>" for m in _MESSAGE_ID.findall(value or "")]


def dedupe_key(parsed: Parsed | None, raw: bytes) -> str:
    """One delivery per key: the Message-ID, else the raw message's SHA-256."""
    if parsed is not None and parsed.message_id:
        return parsed.message_id
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def html_sanitise(html: str) -> str:
    """HTML safe to keep and show: no scripts, styles, event handlers or javascript: links."""
    return nh3.clean(
        html, tags=ALLOWED_TAGS, clean_content_tags={"script", "style"},
        url_schemes={"http", "https", "mailto", "cid"}, link_rel="noopener noreferrer nofollow",
    )


def html_text(html: str) -> str:
    """The readable text of (sanitised) HTML, for messages with no text part."""
    text = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</li>|</tr>|</h\d>", "\n", html)
    text = html_lib.unescape(strip_tags(text))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(line.strip() for line in text.splitlines())).strip()


def reply_trimmed(text: str) -> str:
    """The newest part of a reply, without quoted history and signature; the whole text if trimming leaves
    nothing (trimming is a heuristic, and the full text is kept besides)."""
    if not text.strip():
        return ""
    try:
        replies = EmailReplyParser(languages=REPLY_LANGUAGES).read(text).replies
    except Exception:  # a heuristic parser must not lose a message
        return text.strip()
    body = replies[0].body.strip() if replies else ""
    return body or text.strip()


def _one_line(value: str) -> str:
    return " ".join(str(value).split())


def _safely(read: Callable[[], T], fallback: T) -> T:
    """One field's value, or the fallback when the message is too broken for the library to read it: a
    broken header costs that field, never the message."""
    try:
        return read()
    except Exception:
        return fallback


def message_parse(raw: bytes) -> Parsed:
    """Read a raw RFC 5322 message. Raises only on input that is not a message at all."""
    mail = MailMessage.from_bytes(raw)
    headers = {name: _one_line(values[0]) for name, values in mail.headers.items() if values}
    parsed = Parsed(headers=headers, content_type=_safely(mail.obj.get_content_type, "text/plain"))
    ids = message_ids(headers.get("message-id", ""))
    parsed.message_id = ids[0] if ids else ""
    in_reply_to = message_ids(headers.get("in-reply-to", ""))
    parsed.in_reply_to = in_reply_to[0] if in_reply_to else ""
    parsed.references = message_ids(" ".join(mail.headers.get("references", ())))
    sender = _safely(lambda: mail.from_values, None)
    if sender is not None and "@" in sender.email:
        parsed.from_address = sender.email.strip().lower()[:320]
        parsed.from_name = _one_line(sender.name)[:200]
    parsed.to = _safely(lambda: [a.email.lower() for a in (*mail.to_values, *mail.cc_values) if a.email], [])
    parsed.subject = _one_line(_safely(lambda: mail.subject, headers.get("subject", "")))[:500]
    sent_at = _safely(lambda: mail.date, None)
    parsed.sent_at = sent_at if sent_at and sent_at.year > 1900 and sent_at.tzinfo is not None else None
    html = _safely(lambda: mail.html, "")
    parsed.html = html_sanitise(html) if html else ""
    parsed.text = _safely(lambda: mail.text, "").replace("\r\n", "\n").strip() or html_text(parsed.html)
    parsed.reply_text = reply_trimmed(parsed.text)
    parts: list[MailAttachment] = _safely(lambda: list(mail.attachments), [])
    parsed.attachments = [a for a in map(_attachment, parts) if a is not None]
    return _without_nul(parsed)


def _without_nul(parsed: Parsed) -> Parsed:
    """No NUL characters in what is stored: PostgreSQL's text cannot hold them (the raw message keeps them)."""
    for name in ("message_id", "in_reply_to", "from_address", "from_name", "subject", "text", "html", "reply_text",
                 "content_type"):
        setattr(parsed, name, getattr(parsed, name).replace("\x00", ""))
    parsed.references = [r.replace("\x00", "") for r in parsed.references]
    parsed.headers = {k.replace("\x00", ""): v.replace("\x00", "") for k, v in parsed.headers.items()}
    for attachment in parsed.attachments:
        attachment.filename = attachment.filename.replace("\x00", "") or "attachment"
        attachment.content_type = attachment.content_type.replace("\x00", "")
    return parsed


def _attachment(part: MailAttachment) -> Attachment | None:
    """The attachment, or None when even its bytes cannot be read (the raw message still holds it)."""
    return _safely(lambda: Attachment(
        filename=_one_line(part.filename)[:255] or "attachment",
        content_type=part.content_type[:200] or "application/octet-stream", payload=part.payload or b"",
    ), None)
