"""The inbound webhook: a mail provider or an MTA posts each message here, and it goes through
`message_receive` like a polled one.

- `POST /mail/inbound/<mailbox>/` takes the raw MIME message as the request body.
- `POST /mail/inbound/<mailbox>/<provider>/` takes a provider's inbound format, read by django-anymail's
  view for that provider (Postmark: JSON with or without RawEmail).

Both authenticate with HTTP basic auth, user `amends` and the mailbox's webhook secret as the password
(providers put it in the URL: https://amends:SECRET@host/mail/inbound/support/postmark/). Answers are
JSON; a message taken in answers 200 whatever its outcome (a rejection is recorded, and a retry would
only be a duplicate).
"""

from __future__ import annotations

from anymail.exceptions import AnymailWebhookValidationFailure
from anymail.utils import get_request_basic_auth
from anymail.webhooks.postmark import PostmarkInboundWebhookView
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from amends.core.clock import wall_now
from amends.mail.models import InboundMessage, Mailbox, Via
from amends.mail.services import message_receive

PROVIDERS = {"postmark": PostmarkInboundWebhookView}
USER = "amends"


def _error(status: int, field: str, message: str) -> JsonResponse:
    response = JsonResponse({"errors": [{"field": field, "message": message}]}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Basic realm="amends inbound mail"'
    return response


def _mailbox_or_error(request: HttpRequest, name: str) -> Mailbox | JsonResponse:
    mailbox = Mailbox.objects.select_related("team", "holding_account").filter(name=name).first()
    if mailbox is None or not mailbox.webhook_secret:
        return _error(404, "mailbox", f"no mailbox {name!r} takes mail by webhook")
    given = get_request_basic_auth(request) or ""
    if not constant_time_compare(given, f"{USER}:{mailbox.webhook_secret}"):
        return _error(401, "authorization", "give the mailbox's webhook secret as the basic-auth password")
    return mailbox


def _answer(records: list[InboundMessage]) -> JsonResponse:
    return JsonResponse({"messages": [
        {"id": r.pk, "outcome": r.outcome, "ticket": r.ticket_id, "reason": r.reason, "summary": r.summary()}
        for r in records
    ]})


@csrf_exempt
@require_POST
def inbound_raw(request: HttpRequest, mailbox: str) -> JsonResponse:
    found = _mailbox_or_error(request, mailbox)
    if isinstance(found, JsonResponse):
        return found
    raw = request.read(settings.AMENDS_MAIL_MAX_MESSAGE_BYTES + 1)  # not .body: mail is larger than a form
    if not raw.strip():
        return _error(400, "body", "send the raw message (RFC 5322, as received) as the request body")
    return _answer([message_receive(raw, mailbox=found, now=wall_now(), via=Via.WEBHOOK)])


@csrf_exempt
@require_POST
def inbound_provider(request: HttpRequest, mailbox: str, provider: str) -> JsonResponse:
    view_class = PROVIDERS.get(provider)
    if view_class is None:
        return _error(404, "provider", f"unknown provider {provider!r}; choose one of {', '.join(sorted(PROVIDERS))}")
    found = _mailbox_or_error(request, mailbox)
    if isinstance(found, JsonResponse):
        return found
    view = view_class(webhook_secret=f"{USER}:{found.webhook_secret}")
    try:
        view.run_validators(request)
        events = view.parse_events(request)
    except AnymailWebhookValidationFailure as exc:
        return _error(401, "authorization", str(exc))
    except RequestDataTooBig:
        return _error(413, "body", f"{provider}'s payload is larger than DATA_UPLOAD_MAX_MEMORY_SIZE "
                      f"({settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} bytes); post the raw message to "
                      f"/mail/inbound/{mailbox}/ instead")
    except Exception as exc:  # a payload the provider's reader cannot make sense of
        return _error(400, "body", f"not {provider}'s inbound format ({type(exc).__name__})")
    now = wall_now()
    return _answer([message_receive(event.message.as_bytes(), mailbox=found, now=now, via=Via.WEBHOOK)
                    for event in events if event.message is not None])
