"""What every reader needs to read an export's values: instants in any of the forms desks write them, and
plain text from HTML (Amends escapes on output, so bodies are kept as plain text)."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import nh3

_BREAKS = re.compile(r"<\s*(br|/p|/div|/li|/tr|/h[1-6])\b[^>]*>", re.IGNORECASE)
_BLANK_LINES = re.compile(r"\n{3,}")
_MARKUP = re.compile(r"<[a-zA-Z/!][^>]*>|&[a-zA-Z#0-9]+;")
_FORMATS = ("%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M %z", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d",
            "%d %b %Y %H:%M", "%b %d, %Y %H:%M")


def instant(value: object) -> datetime | None:
    """An export's date and time as an aware instant, or None when it is not one. ISO 8601 with or without
    a zone ("Z", "+02:00"), "2024-03-06 09:30:00 +0100", or a Unix timestamp; one without a zone is read as
    UTC (what the API exports give)."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str):
        return None
    text = value.strip()
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        for fmt in _FORMATS:
            try:
                parsed = datetime.strptime(text, fmt)  # noqa: DTZ007 (a naive result is made UTC below)
                break
            except ValueError:
                continue
    if parsed is None:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


def plain_text(markup: str) -> str:
    """HTML as the plain text a person reads: tags dropped (by nh3, which keeps no script or style text),
    line breaks kept, entities decoded."""
    if not _MARKUP.search(markup):  # plain already ("a < b" stays as it is)
        return markup.strip()
    with_breaks = _BREAKS.sub(lambda m: m.group(0) + "\n", markup)
    text = html.unescape(nh3.clean(with_breaks, tags=set()))
    lines = [" ".join(line.split()) for line in text.replace("\r\n", "\n").split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def clean_text(value: object) -> str:
    """A string value, or "" for null and anything else."""
    return value.strip() if isinstance(value, str) else ("" if value is None else str(value).strip())


def decode(data: bytes) -> str:
    """A file's text: UTF-8 (with or without its byte-order mark), else Latin-1, which never fails."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")
