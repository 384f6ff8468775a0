"""What every reader needs to read an export's values: its files' text and CSV rows, instants in any of the
forms desks write them, and plain text from HTML (Amends escapes on output, so bodies are kept as plain text)."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import UTC, datetime, tzinfo

import nh3

_BREAK = re.compile(r"<br\s*/?>|</(?:div|li|tr|h[1-6]|blockquote|pre)\s*>", re.IGNORECASE)
_PARAGRAPH = re.compile(r"</p\s*>", re.IGNORECASE)
_BLANK_LINES = re.compile(r"\n{3,}")
_MARKUP = re.compile(r"<[a-zA-Z/!][^>]*>|&[a-zA-Z#0-9]+;")
_FORMATS = ("%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M %z", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d",
            "%d %b %Y %H:%M:%S", "%d %b %Y %H:%M", "%b %d, %Y %H:%M")


def instant(value: object, zone: tzinfo = UTC) -> datetime | None:
    """An export's date and time as an aware instant, or None when it is not one. ISO 8601 with or without
    a zone ("Z", "+02:00"), "2024-03-06 09:30:00 +0100", or a Unix timestamp; one without a zone is read in
    `zone` (the CSV exports print the old desk's local time; the API exports always say their zone)."""
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
                parsed = datetime.strptime(text, fmt)  # noqa: DTZ007 (a naive result is put in `zone` below)
                break
            except ValueError:
                continue
    if parsed is None:
        return None
    # In UTC: an hour the clocks went back over is then one instant (the first), equal to itself in any zone.
    return parsed.replace(tzinfo=zone).astimezone(UTC) if parsed.tzinfo is None else parsed


def plain_text(markup: str) -> str:
    """HTML as the plain text a person reads: tags dropped (by nh3, which keeps no script or style text),
    entities decoded, paragraphs kept apart by a blank line and line breaks kept."""
    if not _MARKUP.search(markup):  # plain already ("a < b" stays as it is)
        return markup.strip()
    markup = _PARAGRAPH.sub("\n\n", _BREAK.sub("\n", re.sub(r"\s+", " ", markup)))
    text = html.unescape(nh3.clean(markup, tags=set()))
    lines = [re.sub(r"[ \t\xa0]+", " ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def clean_text(value: object) -> str:
    """A string value, or "" for null and anything else."""
    return value.strip() if isinstance(value, str) else ("" if value is None else str(value).strip())


def decode(data: bytes) -> str:
    """A file's text: UTF-8 (with or without its byte-order mark), else Windows-1252, what older Windows
    exports write (its few undefined bytes become a replacement mark rather than an error)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def csv_rows(data: bytes) -> list[list[str]]:
    """The rows of a CSV export (decoded as `decode` does); the delimiter is the one of ',', ';' and tab that
    the header line uses most (osTicket writes ';' where the decimal separator is a comma)."""
    text = decode(data)
    first_line = text.split("\n", 1)[0]
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=max(",;\t", key=first_line.count)))


def fold(value: str) -> str:
    """A name as exports vary it: spacing and case ignored ("Ticket  ID" is "ticket id")."""
    return " ".join(value.split()).casefold()


class CsvColumns:
    """A CSV export's header, its names folded, each column found by any of the names exports give it."""

    def __init__(self, header: list[str]) -> None:
        self.header = [fold(name) for name in header]

    def find(self, names: tuple[str, ...]) -> int | None:
        for name in names:
            if name in self.header:
                return self.header.index(name)
        return None

    def has(self, names: tuple[str, ...]) -> bool:
        return self.find(names) is not None

    def row(self, values: list[str]) -> CsvRow:
        return CsvRow(self, values)


class CsvRow:
    def __init__(self, columns: CsvColumns, values: list[str]) -> None:
        self.columns, self.values = columns, values

    def get(self, names: tuple[str, ...]) -> str:
        """The row's value in the first column found by `names`, stripped; "" when there is none."""
        index = self.columns.find(names)
        if index is None or index >= len(self.values):
            return ""
        return self.values[index].strip()
