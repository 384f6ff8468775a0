"""Helpers for the API tests: a JSON client with a bearer key at a fixed instant, and the error-shape check."""

from __future__ import annotations

import json
from contextlib import nullcontext
from datetime import datetime
from typing import Any

import time_machine
from django.test import Client

from amends.core.tokens import token_create
from tests.cast import T0, at

FRIDAY = at("2026-03-06 09:30")  # an ordinary working day in London: Alice's usual hours
BASE = "/api/v1"


class Api:
    """Calls the API as an integration would; each call happens at `now` (endpoints read the wall clock).
    With `now=None` calls do not travel (for threads: travel once around them all, in the main thread)."""

    def __init__(self, key: str | None, now: datetime | None = FRIDAY, client: Client | None = None):
        self.key = key
        self.now = now
        self.client = client or Client()

    @classmethod
    def with_new_token(cls, name: str = "phone-system", role: str | None = "admin", agent=None, **kwargs) -> Api:
        """An integration's token (admin unless `role` says otherwise), or `agent`'s own token."""
        _, raw = token_create(name, now=T0, role=None if agent is not None else role, agent=agent)
        return cls(raw, **kwargs)

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.key}"} if self.key is not None else {}
        return {**headers, **(extra or {})}

    def _at(self, when: datetime | None):
        when = when or self.now
        return nullcontext() if when is None else time_machine.travel(when, tick=False)

    def get(self, path: str, params: dict[str, Any] | None = None, *, at: datetime | None = None, headers=None):
        with self._at(at):
            return self.client.get(BASE + path, params or {}, headers=self.headers(headers))

    def post(self, path: str, data: Any = None, *, at: datetime | None = None, headers=None, raw: str | bytes | None = None):
        body = raw if raw is not None else ("" if data is None else json.dumps(data))
        with self._at(at):
            return self.client.post(BASE + path, body, content_type="application/json", headers=self.headers(headers))

    def patch(self, path: str, data: Any = None, *, at: datetime | None = None, headers=None):
        body = "" if data is None else json.dumps(data)
        with self._at(at):
            return self.client.patch(BASE + path, body, content_type="application/json", headers=self.headers(headers))

    def delete(self, path: str, *, at: datetime | None = None, headers=None):
        with self._at(at):
            return self.client.delete(BASE + path, headers=self.headers(headers))

    def call(self, method: str, path: str, *, at: datetime | None = None):
        with self._at(at):
            return self.client.generic(method, BASE + path, headers=self.headers())


def error_of(response, status: int, field: Any = ..., code: str | None = None) -> dict:
    """Assert `response` is the one error shape with this status (and field/code when given)."""
    assert response.status_code == status, (response.status_code, response.content[:2000])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert list(body) == ["error"], body
    error = body["error"]
    assert {"code", "message", "field"} <= set(error) <= {"code", "message", "field", "details"}, error
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    assert error["field"] is None or isinstance(error["field"], str)
    for detail in error.get("details", []):
        assert set(detail) == {"code", "message", "field"}, detail
    if field is not ...:
        assert error["field"] == field, error
    if code is not None:
        assert error["code"] == code, error
    return error


def request_body(cast, **overrides) -> dict:
    """A valid POST /requests body for Acme, changed by `overrides` (None removes a key)."""
    body = {"account": cast.acme.pk, "subject": "Printer on fire", "body": "Second floor", "urgency": "normal"}
    for key, value in overrides.items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    return body
