"""The stack's floor: a minimal API endpoint that authenticates like the real API and inserts one row.

Mounted at /bench/ only while `amends bench` runs its server (AMENDS_BENCH_FLOOR=1). It parses a
body of the same shape as request intake, checks the same bearer token, writes one FloorRow in
autocommit (durable before the reply) and answers 201: what any intake must cost at least.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path
from ninja import NinjaAPI, Schema, Status

from amends.api.auth import BearerToken
from amends.bench.models import FloorRow
from amends.core.clock import wall_now


class FloorIn(Schema):
    account: int
    subject: str
    urgency: str = "normal"
    kind: str = "question"


class FloorOut(Schema):
    id: int


api = NinjaAPI(
    title="Amends bench floor", urls_namespace="bench_floor", auth=BearerToken(), docs_url=None, openapi_url=None
)


def floor_row_create(payload: str) -> FloorRow:
    return FloorRow.objects.create(created_at=wall_now(), payload=payload[:200])


@api.post("/floor", response={201: FloorOut})
def floor(request: HttpRequest, payload: FloorIn):
    return Status(201, {"id": floor_row_create(payload.subject).pk})


def ping(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("ping", ping),
    path("", api.urls),
]
