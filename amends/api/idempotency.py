"""Idempotency keys: a client's retry of a creating call gets the first answer again, never a duplicate.

The key row is inserted first, in the same transaction as the creation, so a concurrent twin with
the same key waits on the unique index; when the first commits, the twin's insert fails and it
replays the stored answer. Nothing is answered before the transaction commits.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpResponse
from ninja import Schema, Status
from pydantic_core import to_jsonable_python

from amends.core.errors import DomainError
from amends.core.models import ApiToken, IdempotencyKey

HEADER = "Idempotency-Key"


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict
    replayed: bool = False


def fingerprint(operation: str, payload: dict) -> str:
    """Same operation and same parsed body (whatever the whitespace or key order) -> same fingerprint."""
    canonical = json.dumps([operation, payload], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _earlier(token: ApiToken, key: str, request_hash: str) -> Answer | None:
    row = IdempotencyKey.objects.filter(token=token, key=key).first()
    if row is None:
        return None
    if row.request_hash != request_hash:
        raise DomainError(
            f"this {HEADER} was already used for a different request; use a new key for a new request",
            field=HEADER, code="idempotency_key_reused", status=422,
        )
    return Answer(row.status_code, row.response, replayed=True)


def idempotent(
    *, token: ApiToken, key: str | None, request_hash: Callable[[], str], now: datetime,
    create: Callable[[], tuple[int, dict]],
) -> Answer:
    """Run `create` (returning status and a JSON-ready body) once per (token, key), in one transaction
    with the key. Without a key, `create` runs as it is (its service holds its own transaction), and the
    request's fingerprint (`request_hash()`, what a retry's body is checked against) is never worked out."""
    if not key:
        return Answer(*create())
    digest = request_hash()
    earlier = _earlier(token, key, digest)
    if earlier is not None:
        return earlier
    try:
        with transaction.atomic():
            row = IdempotencyKey.objects.create(
                token=token, key=key, request_hash=digest, status_code=0, response={}, created_at=now
            )
            status, body = create()
            row.status_code, row.response = status, body
            row.save(update_fields=["status_code", "response"])
    except IntegrityError:
        earlier = _earlier(token, key, digest)  # a concurrent twin committed first
        if earlier is None:
            raise
        return earlier
    return Answer(status, body)


def create_once(
    request: Any, response: HttpResponse, *, key: str | None, operation: str, payload: Schema, now: datetime,
    make: Callable[[], dict],
) -> Status:
    """A creating endpoint's answer: 201 with what `make()` created (a JSON-ready body), once per
    Idempotency-Key; a retry with the key replays it (header `Idempotent-Replayed: true`)."""
    answer = idempotent(
        token=request.auth, key=key, now=now,
        request_hash=lambda: fingerprint(operation, payload.model_dump(mode="json")),
        create=lambda: (201, to_jsonable_python(make())),
    )
    if answer.replayed:
        response["Idempotent-Replayed"] = "true"
    return Status(answer.status, answer.body)
