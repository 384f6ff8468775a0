"""Mailboxes, for admins: each team mailbox, how its mail arrives (IMAP polling, the webhook, the CLI) and the
last poll; add and change one through `amends.mail.mailbox_services`, each with its event. The IMAP password
is write-only: never put in a page, blank keeps it. "Check the connection" signs in with the saved settings
and says what happened, within a few seconds."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from amends.core.clock import wall_now
from amends.mail.mailbox_services import mailbox_change, mailbox_connection_check, mailbox_create
from amends.mail.models import Mailbox
from amends.web.forms import form_apply
from amends.web.http import AgentRequest
from amends.web.settings_admin_forms import MailboxForm
from amends.web.views.settings_access import MAILBOXES_RULE, setup_required


def _mailboxes() -> list[Mailbox]:
    return list(Mailbox.objects.select_related("team", "holding_account").order_by("name"))


@require_http_methods(["GET"])
@setup_required(MAILBOXES_RULE)
def mailboxes_page(request: AgentRequest) -> HttpResponse:
    return render(request, "web/settings_mailboxes.html", {"mailboxes": _mailboxes()})


def _form_page(request: AgentRequest, form: MailboxForm, mailbox: Mailbox | None, *, status: int = 200,
               check=None) -> HttpResponse:
    return render(request, "web/settings_mailbox.html", {"form": form, "mailbox": mailbox, "check": check},
                  status=status)


@require_http_methods(["GET", "POST"])
@setup_required(MAILBOXES_RULE)
def mailbox_new(request: AgentRequest) -> HttpResponse:
    if request.method != "POST":
        return _form_page(request, MailboxForm(), None)
    form = MailboxForm(request.POST)
    mailbox = form_apply(form, lambda _: mailbox_create(**form.values(), now=wall_now(), actor=request.agent))
    if mailbox is None:
        return _form_page(request, form, None, status=422)
    messages.success(request, f"Added the mailbox {mailbox.name}.")
    return redirect("settings_mailbox", mailbox.pk)


@require_http_methods(["GET", "POST"])
@setup_required(MAILBOXES_RULE)
def mailbox_edit(request: AgentRequest, mailbox_id: int) -> HttpResponse:
    mailbox = Mailbox.objects.filter(pk=mailbox_id).first()
    if mailbox is None:
        return render(request, "web/404.html", {"message": "There is no such mailbox."}, status=404)
    if request.method != "POST":
        return _form_page(request, MailboxForm.of(mailbox), mailbox)
    form = MailboxForm(request.POST, mailbox=mailbox)
    changed = form_apply(form, lambda _: mailbox_change(mailbox, form.values(), now=wall_now(), actor=request.agent))
    if changed is None:
        return _form_page(request, form, mailbox, status=422)
    messages.success(request, f"Saved the mailbox {changed.name}.")
    return redirect("settings_mailboxes")


@require_POST
@setup_required(MAILBOXES_RULE)
def mailbox_check(request: AgentRequest, mailbox_id: int) -> HttpResponse:
    mailbox = Mailbox.objects.filter(pk=mailbox_id).first()
    if mailbox is None:
        return render(request, "web/404.html", {"message": "There is no such mailbox."}, status=404)
    return _form_page(request, MailboxForm.of(mailbox), mailbox, check=mailbox_connection_check(mailbox))
