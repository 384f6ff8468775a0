"""API tokens: a random key shown once, stored only as its SHA-256. A token belongs to an agent (it acts as
them, with their role) or to a named integration, with a role chosen when it is made. Making and revoking one
each record an event (never the key), whether the settings page, the admin or `amends token` did it."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, cast

from django.db import IntegrityError, transaction

from amends.core.errors import Conflict, DomainError, NotFound
from amends.core.events import event_record
from amends.core.models import ApiToken, TokenRole

if TYPE_CHECKING:
    from amends.people.models import Agent

LAST_USED_EVERY = timedelta(minutes=1)  # record use at most this often: no write per request
MAX_KEY_LENGTH = 200


def key_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise DomainError("give the token a name, e.g. the integration that will use it", field="name")
    if len(name) > cast(int, ApiToken._meta.get_field("name").max_length):
        raise DomainError("keep the token name under 100 characters", field="name")
    return name


def token_owner(token: ApiToken) -> str:
    """Whom the token acts for, in words: "agent alice (lead)" or "integration (admin)"."""
    if token.agent is not None:
        return f"agent {token.agent.user.username} ({token.agent.role})"
    return f"integration ({token.role})"


def token_create(
    name: str, now: datetime, *, role: str | None = None, agent: Agent | None = None, actor: Agent | None = None,
) -> tuple[ApiToken, str]:
    """A new token and its raw key; the key is not stored and cannot be shown again. Either `agent` (the
    token acts as them, with the role they have at each call) or an integration's `role`."""
    name = _clean_name(name)
    if agent is not None:
        if role is not None and role != agent.role:
            raise DomainError(f"{agent.name}'s token acts with their own role ({agent.role}); leave out the role",
                              field="role")
        role = ""
    elif role not in TokenRole.values:
        raise DomainError(f"give the integration's role: one of {', '.join(TokenRole.values)}", field="role")
    raw = secrets.token_urlsafe(32)
    taken = Conflict(f"a token named {name!r} already exists (names stay taken after revoking); "
                     "choose another name", field="name")
    if ApiToken.objects.filter(name=name).exists():
        raise taken
    try:
        with transaction.atomic():
            token = ApiToken.objects.create(
                name=name, key_hash=key_hash(raw), prefix=raw[:8], created_at=now, agent=agent, role=role
            )
            event_record(
                ticket=None, kind="token_created", now=now, actor=actor,
                message=f"API token {token.name} ({token.prefix}…) created for {token_owner(token)}",
                data={"token": token.pk, "agent": agent.pk if agent else None, "role": role},
            )
    except IntegrityError:  # a concurrent create took the name
        raise taken from None
    return token, raw


def token_revoke(name: str, now: datetime, *, actor: Agent | None = None) -> ApiToken:
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(name=_clean_name(name)).first()
        if token is None:
            raise NotFound(f"no token named {name!r}", field="name")
        if token.revoked_at is not None:
            raise Conflict(f"token {token.name!r} was already revoked", field="name")
        token.revoked_at = now
        token.save(update_fields=["revoked_at"])
        event_record(
            ticket=None, kind="token_revoked", now=now, actor=actor,
            message=f"API token {token.name} ({token.prefix}…) revoked: its key no longer works",
            data={"token": token.pk},
        )
    return token


def token_authenticate(raw: str | None, now: datetime) -> ApiToken | None:
    """The live token with this key, or None; an agent's token stops working while their account is disabled.
    Notes when it was used (at most once a minute)."""
    if not raw or len(raw) > MAX_KEY_LENGTH:
        return None
    token = (
        ApiToken.objects.select_related("agent__user").filter(key_hash=key_hash(raw), revoked_at__isnull=True).first()
    )
    if token is None or (token.agent is not None and not token.agent.user.is_active):
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def tokens_list() -> list[ApiToken]:
    return list(ApiToken.objects.select_related("agent__user").order_by("name"))
