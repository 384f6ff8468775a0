"""What the API accepts and answers. Inputs refuse unknown fields and give every string a length limit."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, cast

from ninja import Schema
from pydantic import BeforeValidator, ConfigDict, Field, PlainValidator, StrictInt, model_validator
from pydantic.config import JsonDict
from pydantic_core import PydanticCustomError

from amends.api.fields import (
    MAX_ID,
    NOT_BLANK,
    Body,
    Email,
    FileName,
    Flag,
    Id,
    Name,
    Note,
    NoteText,
    Phone,
    QueryId,
    Reason,
    ReplySubject,
    ReplyText,
    RequiredReason,
    Subject,
    When,
    whole,
)
from amends.core.attachments import BLOCKED_EXTENSIONS, BLOCKED_TYPES
from amends.core.models import Visibility
from amends.customers.models import Tier
from amends.desk.models import Channel, Kind, PromiseKind, PromiseSource, PromiseState, Situation, State
from amends.people.models import Role
from amends.policies.models import Urgency

CallbackMinutes = Annotated[StrictInt, Field(ge=1, le=43_200, description="1 minute to 30 days"), BeforeValidator(whole)]


class In(Schema):
    model_config = ConfigDict(extra="forbid")


# --- inputs -------------------------------------------------------------------------------------

_NOTHING = {"enum": ["", None]}
# The two ways to name a contact, for the schema: an id and nothing else, or (no id and) a name with some
# text in it or an email address.
_CONTACT_WAYS = cast(JsonDict, {"oneOf": [
    {"required": ["id"], "properties": {"id": {"type": "integer"}, "name": _NOTHING, "email": _NOTHING,
                                        "phone": _NOTHING}},
    {"properties": {"id": {"type": "null"}}, "anyOf": [
        {"required": ["name"], "properties": {"name": {"type": "string", "pattern": NOT_BLANK}}},
        {"required": ["email"], "properties": {"email": {"type": "string", "minLength": 1}}},
    ]},
]})


class ContactIn(In):
    """An existing contact by id, or a person by name and/or email (found or added to the account)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_CONTACT_WAYS)

    id: Id | None = None
    name: Name | None = None
    email: Email | None = None
    phone: Phone | None = None

    @model_validator(mode="after")
    def _one_way(self) -> ContactIn:
        if self.id is not None and (self.name or self.email or self.phone):
            raise ValueError("give either the contact's id or their name and email, not both")
        if self.id is None and not ((self.name or "").strip() or self.email):
            raise ValueError("give the contact's id, or their name or email")
        return self


class RequestIn(In):
    account: Id
    contact: ContactIn | None = None
    subject: Subject
    body: Body = ""
    kind: Kind = Kind.QUESTION
    channel: Channel = Channel.API
    urgency: Urgency = Urgency.NORMAL
    need_by: When | None = Field(None, description="Orders only: when the customer needs it")
    callback_within_minutes: CallbackMinutes | None = None
    team: Id | None = Field(None, description="Default: the account's team")


class ContactLogIn(In):
    channel: Channel = Channel.PHONE
    note: Note = ""


class PromiseIn(In):
    kind: PromiseKind
    due_at: When
    description: Reason = ""


class KeepIn(In):
    note: Note = ""


class WithdrawIn(In):
    reason: RequiredReason


class AssignIn(In):
    agent: Id


# Every state a request can be moved to: none goes back to new.
SettableState = Literal["open", "in_progress", "pending", "waiting_on_customer", "dispatched", "resolved", "closed"]


class StateIn(In):
    state: SettableState
    note: Note = ""


class NoteIn(In):
    text: NoteText
    customer_visible: Flag = False


# A file sent with a reply, base64 in the JSON body: at most 10 MiB decoded; no program or script, by its
# media type (written in lower case) or its name's extension, which the schema states as the service checks.
BASE64 = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"
MEDIA_TYPE = r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}$"
_BLOCKED_TYPE = cast(JsonDict, {"not": {"enum": sorted(BLOCKED_TYPES)}})
_BLOCKED_NAME = cast(JsonDict, {"not": {"pattern": r"\.(" + "|".join(
    "".join(f"[{c}{c.upper()}]" if c.isalpha() else c for c in ext[1:]) for ext in sorted(BLOCKED_EXTENSIONS)
) + r")$"}})


class AttachmentIn(In):
    filename: Annotated[FileName, Field(json_schema_extra=_BLOCKED_NAME)]
    content_type: Annotated[str, Field(max_length=129, pattern=MEDIA_TYPE, json_schema_extra=_BLOCKED_TYPE)] = (
        "application/octet-stream"
    )
    content_base64: Annotated[str, Field(max_length=13_981_012, pattern=BASE64)] = Field(
        description="The file, base64-encoded (at most 10 MiB decoded)"
    )


class ReplyIn(In):
    body: ReplyText
    subject: ReplySubject = Field(
        "", description="Default: Re: the request's subject; [AM-123] is added"
    )
    template: Situation | None = Field(None, description="The situation's template the text was written from")
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=10)


class AbsenceIn(In):
    starts_at: When
    ends_at: When
    backup: Id | None = Field(None, description="Default: the agent's usual backup")
    reason: Name = ""


MAX_NOTIFICATION_IDS = 1000
_NotificationIds = Annotated[list[Id], Field(max_length=MAX_NOTIFICATION_IDS)] | Literal["all"]


def _notification_ids(value: Any) -> list[int] | Literal["all"]:
    """One error that names the field, not one per member of the union (pydantic's own would say both)."""
    if value == "all":
        return "all"
    if not isinstance(value, list):
        raise PydanticCustomError("ids_type", 'give a list of notification ids, or "all"')
    if len(value) > MAX_NOTIFICATION_IDS:
        raise PydanticCustomError("ids_too_many", "give at most {most} ids at a time", {"most": MAX_NOTIFICATION_IDS})
    value = [int(item) if type(item) is float and item.is_integer() else item for item in value]  # 3.0 is 3
    for index, item in enumerate(value):
        if type(item) is not int or not 1 <= item <= MAX_ID:
            raise PydanticCustomError(
                "ids_item", "item {index} is not a notification id (a whole number from 1)", {"index": index}
            )
    return value


NotificationIds = Annotated[_NotificationIds, PlainValidator(_notification_ids, json_schema_input_type=_NotificationIds)]


class NotificationsReadIn(In):
    agent: Id = Field(description="Whose notifications to mark read")
    ids: NotificationIds = Field(description='Notification ids, or "all" for every unread one of the agent')


class TicketFilters(Schema):
    team: QueryId | None = None
    state: State | None = None
    owner: QueryId | None = None
    account: QueryId | None = None
    open: bool = Field(True, description="Only open requests")
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000)


class BoardFilters(Schema):
    owner: QueryId | None = None
    team: QueryId | None = None


class AgentFilters(Schema):
    team: QueryId | None = None


class NotificationFilters(Schema):
    agent: QueryId | None = Field(None, description="Only this agent's notifications (default: everyone's)")
    unread: bool | None = Field(None, description="true: only unread; false: only read")
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000)


# --- outputs ------------------------------------------------------------------------------------

class Ref(Schema):
    id: int
    name: str


class AccountRef(Ref):
    tier: Tier


class ContactOut(Ref):
    email: str
    phone: str


class Deadlines(Schema):
    assign_by: datetime | None
    resolution_due: datetime | None
    followup_due: datetime | None
    need_by: datetime | None
    next_deadline_at: datetime | None


class PromiseOut(Schema):
    id: int
    request: int
    kind: PromiseKind
    description: str
    due_at: datetime
    asked_for: datetime | None = Field(
        description="The due time asked for, when it fell while the team is closed and moved to its next opening"
    )
    state: PromiseState
    source: PromiseSource
    owner: Ref | None
    created_at: datetime
    warned_at: datetime | None
    broken_at: datetime | None
    kept_at: datetime | None
    withdrawn_at: datetime | None
    withdraw_reason: str


class HowSeenOut(Schema):
    """How the customer learns of an event: emailed (to an address, with the email's delivery state),
    shown in their portal, or not at all (staff only)."""

    how: Literal["emailed", "portal", "staff"]
    label: str
    to: str | None
    delivery: Literal["queued", "sent", "failed"] | None


class EventOut(Schema):
    id: int
    kind: str
    visibility: Visibility
    message: str
    actor: Ref | None
    created_at: datetime
    customer_learns: HowSeenOut


class TicketSummary(Schema):
    id: int
    reference: str
    subject: str
    kind: Kind
    channel: Channel
    urgency: Urgency
    state: State
    account: AccountRef
    contact: ContactOut | None
    team: Ref
    owner: Ref | None
    created_at: datetime
    updated_at: datetime
    next_deadline_at: datetime | None
    at_risk: bool
    chased_count: int


class TicketOut(TicketSummary):
    body: str
    closed_at: datetime | None
    assigned_at: datetime | None
    last_chased_at: datetime | None
    deadlines: Deadlines
    promises: list[PromiseOut]
    events: list[EventOut]


class TicketList(Schema):
    items: list[TicketSummary]
    limit: int
    offset: int


class ReasonOut(Schema):
    code: str
    text: str
    due_at: datetime | None


class BoardItem(Schema):
    request: TicketSummary
    reasons: list[ReasonOut]
    next_deadline_at: datetime | None
    seconds_left: int | None = Field(description="Negative when overdue")


class BoardOut(Schema):
    now: datetime
    items: list[BoardItem]


class AgentOut(Ref):
    role: Role
    team: Ref
    away_until: datetime | None
    backup: Ref | None


class AgentList(Schema):
    items: list[AgentOut]


class AbsenceOut(Schema):
    id: int
    agent: Ref
    starts_at: datetime
    ends_at: datetime
    backup: Ref | None
    reason: str
    handed_over_at: datetime | None
    cancelled: bool = Field(False, description="Ended before it began: removed")


class AbsenceCreated(Schema):
    absence: AbsenceOut
    handed_over: list[int] = Field(description="Ids of the requests moved off the agent now")


class RequestRef(Schema):
    id: int
    reference: str
    owner: Ref | None = Field(description="Who owns the request now (not when the notice was written)")


class NotificationOut(Schema):
    id: int
    kind: str
    message: str
    request: RequestRef | None
    failure: int | None = Field(description="The failure it is about (its id), when it is about one")
    recipient: Ref
    created_at: datetime
    read_at: datetime | None


class NotificationList(Schema):
    items: list[NotificationOut]
    limit: int
    offset: int


class NotificationsReadOut(Schema):
    marked_read: int = Field(description="How many were unread and are now read")


class AttachmentOut(Schema):
    filename: str
    content_type: str
    size: int


class MessageOut(Schema):
    """An email on the request, either way: `out` (ours to the customer, with its delivery state) or `in`
    (received from them)."""

    direction: Literal["out", "in"]
    id: int
    message_id: str
    sender: str
    to: str
    subject: str
    text: str
    at: datetime
    delivery: Literal["queued", "sent", "failed"] | None
    attachments: list[AttachmentOut]


class MessageList(Schema):
    items: list[MessageOut]


class ReplyOut(Schema):
    message: MessageOut
    event: EventOut
    kept_promises: list[int]
