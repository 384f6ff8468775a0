"""The strict Content-Security-Policy: on every response of the workspace, the API, the admin and the sign-in,
and templates that give it nothing to block (no inline script, handler, style or eval-needing htmx)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from amends.desk.intake import ticket_create
from amends.desk.models import Promise
from tests.integration.api_support import Api
from tests.web.support import NOW, client_for, workspace_patterns

EXPECTED = {
    "default-src": {"'self'"},
    "script-src": {"'self'"},
    "style-src": {"'self'"},
    "img-src": {"'self'", "data:"},
    "object-src": {"'none'"},
    "base-uri": {"'self'"},
    "form-action": {"'self'"},
    "frame-ancestors": {"'none'"},
}
TEMPLATES = sorted((Path(__file__).resolve().parents[2] / "amends").glob("**/templates/**/*.html"))


def policy_of(response) -> dict[str, set[str]]:
    header = response.headers.get("Content-Security-Policy")
    assert header, (response.status_code, response.request["PATH_INFO"])
    directives = [d.split() for d in header.split(";") if d.strip()]
    return {d[0]: set(d[1:]) for d in directives}


def assert_strict(response) -> None:
    assert policy_of(response) == EXPECTED, response.request["PATH_INFO"]
    assert "Content-Security-Policy-Report-Only" not in response.headers


def workspace_urls(cast) -> dict[str, str]:
    """Every URL name of the workspace, reversed with real objects where the page needs one."""
    ticket = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Call me back", kind="callback",
                           channel="phone", callback_within=timedelta(minutes=30), now=NOW - timedelta(minutes=5))
    promise = Promise.objects.filter(ticket=ticket).first()
    ids = {"ticket_id": ticket.pk, "team_id": cast.team.pk, "promise_id": promise.pk if promise else 999,
           "agent_id": cast.bob.pk}
    urls = {}
    for pattern in workspace_patterns():
        kwargs = {name: ids.get(name, 999) for name in pattern.pattern.regex.groupindex}
        urls[str(pattern.name)] = reverse(str(pattern.name), kwargs=kwargs)
    return urls




def test_every_workspace_url_sends_the_strict_policy(cast, clock):
    urls = workspace_urls(cast)
    assert len(urls) == len(workspace_patterns()) >= 30
    lena = client_for(cast.lena)
    statuses = {}
    for name, url in urls.items():
        for client in (lena, Client()):  # a member of staff, and someone signed out
            response = client.get(url)
            assert_strict(response)
            statuses.setdefault(name, response.status_code)
    assert statuses["home"] == statuses["ticket"] == statuses["team"] == statuses["account"] == 200


def test_htmx_partials_and_posts_send_it_too(cast, clock):
    lena = client_for(cast.lena)
    assert_strict(lena.get("/", headers={"HX-Request": "true"}))
    assert_strict(lena.post("/notifications/read/", {"all": "1"}))
    assert_strict(Client().post("/login/", {"username": "lena", "password": "wrong"}))


@pytest.mark.parametrize("path", ["/api/v1/agents", "/api/v1/openapi.json", "/api/v1/docs", "/healthz", "/admin/",
                                  "/admin/login/", "/static/amends/app.css"])
def test_api_admin_and_other_responses_send_it(cast, clock, path):
    assert_strict(Client().get(path))


def test_the_api_with_a_token_sends_it(cast, clock):
    response = Api.with_new_token(now=NOW).get("/agents")
    assert response.status_code == 200
    assert_strict(response)


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
EVAL_HTMX = re.compile(r"hx-on|hx-vars|data-hx-on|[\"']js:|javascript:", re.I)
INLINE_STYLE = re.compile(r"<style|\sstyle\s*=", re.I)


def template_text(path: Path) -> str:
    """The template without its {# #} and {% comment %} notes."""
    text = re.sub(r"{#.*?#}", "", path.read_text(), flags=re.S)
    return re.sub(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}", "", text, flags=re.S)


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_templates_have_no_inline_script_handler_style_or_eval(path):
    text = template_text(path)
    for rule, what in ((INLINE_SCRIPT, "an inline <script>"), (HANDLER, "an on…= handler"),
                       (EVAL_HTMX, "htmx that needs eval"), (INLINE_STYLE, "an inline style")):
        found = rule.search(text)
        assert found is None, f"{path.name} has {what}: {text[max(0, found.start() - 60):found.end() + 60]!r}"


def test_htmx_runs_without_eval(cast, clock):
    page = client_for(cast.bob).get("/").content.decode()
    assert """<meta name="htmx-config" content='{"allowEval": false, "includeIndicatorStyles": false}'>""" in page
