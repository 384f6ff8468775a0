"""Input field types for the API: strict where pydantic's lax mode would guess.

ninja validates the parsed JSON in pydantic's python mode, where `Strict()` datetimes refuse ISO
strings; so instants are parsed here, from text only (`"due_at": 0` is refused, not read as 1970).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from pydantic import AfterValidator, BeforeValidator, Field, StrictBool, StrictInt
from pydantic_core import PydanticCustomError

MAX_ID = 2**63 - 1  # the database's bigint; larger ids would overflow the query, not miss
FIRST_YEAR, LAST_YEAR = 2000, 2100
EXAMPLE = "2026-03-06T10:00:00+00:00"


def _instant(value: Any) -> datetime:
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
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
    if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
        raise PydanticCustomError(
            "datetime_range", "give a time between {first} and {last}", {"first": FIRST_YEAR, "last": LAST_YEAR}
        )
    return parsed.astimezone(UTC)  # the API answers in UTC, whatever offset the client wrote


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


When = Annotated[datetime, BeforeValidator(_instant)]
Id = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]
QueryId = Annotated[int, Field(ge=1, le=MAX_ID)]  # query strings are text: digits are read as a number
Flag = StrictBool


Subject = Annotated[str, Field(max_length=200), AfterValidator(_plain_text)]
Body = Annotated[str, Field(max_length=100_000), AfterValidator(_plain_text)]
Name = Annotated[str, Field(max_length=200), AfterValidator(_plain_text)]
Reason = Annotated[str, Field(max_length=300), AfterValidator(_plain_text)]
Note = Annotated[str, Field(max_length=2_000), AfterValidator(_plain_text)]
NoteText = Annotated[str, Field(max_length=10_000), AfterValidator(_plain_text)]
Phone = Annotated[str, Field(max_length=40), AfterValidator(_plain_text)]
Email = Annotated[str, Field(max_length=254), AfterValidator(_plain_text), AfterValidator(_email)]
