"""Input field types for the API: strict where pydantic's lax mode would guess.

ninja validates the parsed JSON in pydantic's python mode, where `Strict()` datetimes refuse ISO
strings; so instants are parsed here, from text only (`"due_at": 0` is refused, not read as 1970).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from pydantic import AfterValidator, BeforeValidator, Field, StrictBool, StrictInt, WithJsonSchema
from pydantic_core import PydanticCustomError

from amends.core.webhook_endpoints import URL_PATTERN

MAX_ID = 2**63 - 1  # the database's bigint; larger ids would overflow the query, not miss
# Instants are written with a year from 2001 to 2099 (the schema's pattern says so), so that whatever the
# offset they fall within 2000-2100 in UTC, the range checked after the conversion.
YEAR_PATTERN = r"^20(0[1-9]|[1-9][0-9])-"
FIRST_YEAR, LAST_YEAR = 2000, 2100
EXAMPLE = "2026-03-06T10:00:00+00:00"


def _instant(value: Any) -> datetime:
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        if not re.match(YEAR_PATTERN, value):
            raise PydanticCustomError(
                "datetime_year", "give a date and time from the years 2001 to 2099, like {example}",
                {"example": EXAMPLE},
            )
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError as exc:
            reason = str(exc) if "out of range" in str(exc) else "not ISO 8601"
            raise PydanticCustomError(
                "datetime_invalid", "not a valid date and time ({reason}); write it like {example}",
                {"reason": reason, "example": EXAMPLE},
            ) from None
    else:
        raise PydanticCustomError(
            "datetime_type", "give the date and time as text, like {example}", {"example": EXAMPLE}
        )
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise PydanticCustomError(
            "datetime_naive", "give a time zone, like {example} or ...Z for UTC", {"example": EXAMPLE}
        )
    try:
        utc = parsed.astimezone(UTC)  # the API answers in UTC, whatever offset the client wrote
    except OverflowError:
        utc = None
    if utc is None or not FIRST_YEAR <= utc.year <= LAST_YEAR:  # checked in UTC, after the conversion
        raise PydanticCustomError(
            "datetime_range", "give a time between {first} and {last}", {"first": FIRST_YEAR, "last": LAST_YEAR}
        )
    return utc


def _plain_text(value: str) -> str:
    """Refuse what no database column can hold: NUL characters and unpaired surrogates."""
    if "\x00" in value:
        raise PydanticCustomError("string_nul", "text must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise PydanticCustomError("string_unicode", "text contains invalid Unicode (an unpaired surrogate)") from None
    return value


def _email(value: str) -> str:
    value = value.strip()
    if value:
        try:
            validate_email(value)
        except DjangoValidationError:
            raise PydanticCustomError("email", "not a valid email address") from None
    return value


When = Annotated[
    datetime,
    BeforeValidator(_instant),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": YEAR_PATTERN}),
]
def whole(value: Any) -> Any:
    """A JSON number with no fraction is a whole number (as JSON Schema's "integer" says: 3.0 is 3);
    text, true/false and fractions are still refused."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


Id = Annotated[StrictInt, Field(ge=1, le=MAX_ID), BeforeValidator(whole)]
QueryId = Annotated[int, Field(ge=1, le=MAX_ID)]  # query strings are text: digits are read as a number
Flag = StrictBool


# Text without NUL characters (no database column holds one), and, for text that must say something, with
# something besides blanks: the characters Python's str.strip() removes, and U+FEFF, which JSON Schema's \s
# has. The schema carries these patterns and the server checks the same ones.
BLANKS = r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
ANY_TEXT = r"^[^\x00]*$"
NOT_BLANK = rf"^[^\x00]*[^\x00{BLANKS}][^\x00]*$"
# An address that both this pattern and Django's validate_email accept (or nothing at all): a dot-atom of
# common characters, then a domain whose top-level name is letters. Quoted local parts, commas and IP
# literals are refused: they are where mail software disagrees.
EMAIL_PATTERN = (
    r"^$|^[A-Za-z0-9_%+-]+(\.[A-Za-z0-9_%+-]+)*@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}$"
)
PATTERN_MESSAGES = {
    ANY_TEXT: "text must not contain NUL characters",
    NOT_BLANK: "write some text, not only spaces (and no NUL characters)",
    EMAIL_PATTERN: "not a valid email address",
    URL_PATTERN: "enter a full http:// or https:// URL, e.g. https://example.com/hooks/amends",
}

Subject = Annotated[str, Field(min_length=1, max_length=200, pattern=NOT_BLANK), AfterValidator(_plain_text)]
Body = Annotated[str, Field(max_length=100_000, pattern=ANY_TEXT), AfterValidator(_plain_text)]
Name = Annotated[str, Field(max_length=200, pattern=ANY_TEXT), AfterValidator(_plain_text)]
Reason = Annotated[str, Field(max_length=300, pattern=ANY_TEXT), AfterValidator(_plain_text)]
RequiredReason = Annotated[str, Field(min_length=1, max_length=300, pattern=NOT_BLANK), AfterValidator(_plain_text)]
Note = Annotated[str, Field(max_length=2_000, pattern=ANY_TEXT), AfterValidator(_plain_text)]
NoteText = Annotated[str, Field(min_length=1, max_length=10_000, pattern=NOT_BLANK), AfterValidator(_plain_text)]
Phone = Annotated[str, Field(max_length=40, pattern=ANY_TEXT), AfterValidator(_plain_text)]
Email = Annotated[str, Field(max_length=254, pattern=EMAIL_PATTERN), AfterValidator(_plain_text), AfterValidator(_email)]
ReplyText = Annotated[str, Field(min_length=1, max_length=50_000, pattern=NOT_BLANK), AfterValidator(_plain_text)]
ReplySubject = Annotated[str, Field(max_length=200, pattern=ANY_TEXT), AfterValidator(_plain_text)]
FileName = Annotated[str, Field(min_length=1, max_length=255, pattern=NOT_BLANK), AfterValidator(_plain_text)]
