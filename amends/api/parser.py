"""How the API reads a request: JSON bodies only (415 otherwise), each query parameter at most once and only
those the operation takes (422 naming it): ninja's own parser reads any body as JSON, keeps one of the
repeated values and ignores the unknown ones."""

from __future__ import annotations

import json
from typing import cast

from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from ninja.errors import ValidationError
from ninja.parser import Parser
from ninja.types import DictStrAny
from pydantic import BaseModel

JSON_TYPES = ("application/json",)


class UnsupportedMediaType(Exception):
    """A body sent as something other than JSON; the API answers 415 (see `amends.api.errors`)."""


class StrictParser(Parser):
    def parse_body(self, request: HttpRequest) -> DictStrAny:
        if request.content_type not in JSON_TYPES:
            sent = request.content_type or "no Content-Type"
            raise UnsupportedMediaType(f"send the body as JSON with 'Content-Type: application/json' (not {sent})")
        return cast(DictStrAny, json.loads(request.body))

    def parse_querydict(self, data: MultiValueDict, list_fields: list[str], request: HttpRequest) -> DictStrAny:
        repeated = [key for key in data if key not in list_fields and len(data.getlist(key)) > 1]
        if repeated:
            raise ValidationError([
                {"type": "repeated", "loc": ("query", key), "msg": "give this parameter once, not several times"}
                for key in repeated
            ])
        return super().parse_querydict(data, list_fields, request)


def query_known(request: HttpRequest, filters: type[BaseModel] | None = None) -> None:
    """Refuse a query parameter the operation does not take (422 naming it): a misspelt filter would
    otherwise be ignored, and the answer would hold everything."""
    known = set(filters.model_fields) if filters is not None else set()
    unknown = [key for key in request.GET if key not in known]
    if unknown:
        raise ValidationError([
            {"type": "unknown_parameter", "loc": ("query", key), "msg": "unknown parameter; check its spelling in the API schema"}
            for key in unknown
        ])
