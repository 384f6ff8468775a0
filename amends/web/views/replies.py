"""The reply composer on the request page: email the customer (with attachments) or write an internal note;
start from a template per situation, preview, edit, send. Each action calls one service."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from amends.core.clock import wall_now
from amends.core.errors import DomainError, NotFound
from amends.desk.actions import notice_send
from amends.desk.customer_mail import Upload, reply_draft, reply_preview, reply_send
from amends.desk.models import Situation, Ticket
from amends.desk.queries import ticket_get
from amends.desk.services import ticket_add_note
from amends.people.permissions import REPLY_RULE, Acting, may_reply, permit
from amends.web.http import AgentRequest
from amends.web.permissions import agent_required
from amends.web.reply_form import EMAIL, NOTE, ReplyForm, chosen_actions, notice_candidates, reply_context
from amends.web.views.ticket import render_ticket_page


def _ticket_or_404(request: AgentRequest, ticket_id: int) -> Ticket | HttpResponse:
    try:
        return ticket_get(ticket_id)
    except NotFound:
        return render(request, "web/404.html", {"message": "There is no request with that number."}, status=404)


def _page(request: AgentRequest, ticket_id: int, reply: dict, status: int = 200) -> HttpResponse:
    """The request page with the composer as given (the htmx partial when htmx asked)."""
    if getattr(request, "htmx", None):
        ticket = ticket_get(ticket_id)
        return render(request, "web/ticket_reply.html", {"t": ticket, **reply}, status=status)
    return render_ticket_page(request, ticket_id, extra=reply, status=status)


@require_GET
@agent_required
def reply_template(request: AgentRequest, ticket_id: int) -> HttpResponse:
    """The composer filled from the chosen template, in the contact's language, ready to edit."""
    ticket = _ticket_or_404(request, ticket_id)
    if isinstance(ticket, HttpResponse):
        return ticket
    situation = request.GET.get("template", "")
    mode = request.GET.get("mode", EMAIL)
    if situation not in Situation.values:
        form = ReplyForm(initial={"mode": mode})
        return _page(request, ticket_id, reply_context(ticket, form=form))
    subject, body, _ = reply_draft(ticket, situation, agent=request.agent)
    can_email = bool(ticket.contact and ticket.contact.email)  # else the text is for a call, noted here
    form = ReplyForm(initial={"mode": EMAIL if can_email else NOTE, "template": situation, "subject": subject,
                              "body": body})
    return _page(request, ticket_id, reply_context(ticket, form=form))


@require_POST
@agent_required
def reply_show(request: AgentRequest, ticket_id: int) -> HttpResponse:
    """The email as the customer will get it, without sending it."""
    ticket = _ticket_or_404(request, ticket_id)
    if isinstance(ticket, HttpResponse):
        return ticket
    form = ReplyForm(request.POST)
    form.is_valid()  # show what there is, even half written
    data = form.cleaned_data
    preview = reply_preview(ticket, body=data.get("body", request.POST.get("body", "")),
                            subject=data.get("subject", ""))
    if getattr(request, "htmx", None):
        return render(request, "web/_reply_preview.html", {"preview": preview})
    return _page(request, ticket_id, reply_context(ticket, form=form, preview=preview))


@require_POST
@agent_required
def reply_post(request: AgentRequest, ticket_id: int) -> HttpResponse:
    """Send the email (or add the note), then back to the page; a refusal is shown in the composer."""
    ticket = _ticket_or_404(request, ticket_id)
    if isinstance(ticket, HttpResponse):
        return ticket
    form = ReplyForm(request.POST, request.FILES)
    candidates = notice_candidates(ticket)
    named = chosen_actions(request.POST, candidates)
    chosen = [a.pk for a in named]
    if not form.is_valid():
        error = " ".join(str(e) for errs in form.errors.values() for e in errs)
        return _page(request, ticket_id, reply_context(ticket, form=form, error=error, actions=candidates, chosen=chosen), status=422)
    data = form.cleaned_data
    now = wall_now()
    try:
        if data["mode"] == NOTE:
            ticket_add_note(ticket, now=now, actor=request.agent, text=data["body"])
            done = "Internal note added."
        else:
            permit(may_reply(Acting.of_agent(request.agent), owner_id=ticket.owner_id, team_id=ticket.team_id),
                   REPLY_RULE)
            uploads = [Upload(f.name or "attachment", f.read(), f.content_type or "application/octet-stream")
                       for f in data["attachments"]]
            if named:  # the email is these actions' customer notice: listed under the text, and recorded
                message = notice_send(ticket, named, text=data["body"], now=now, actor=request.agent, letter=False,
                                      subject=data["subject"], situation=data["template"], attachments=uploads)
                done = f"Reply queued to {message.to}, as the notice of: {'; '.join(a.label for a in named)}."
            else:
                sent = reply_send(ticket, now=now, actor=request.agent, body=data["body"], subject=data["subject"],
                                  situation=data["template"], attachments=uploads)
                kept = f" Kept: {', '.join(p.get_kind_display().lower() for p in sent.kept)}." if sent.kept else ""
                done = f"Reply queued to {sent.message.to}.{kept}"
    except DomainError as exc:
        error = exc.message[:1].upper() + exc.message[1:]
        status = 403 if exc.status == 403 else 422
        return _page(request, ticket_id, reply_context(ticket, form=form, error=error, actions=candidates, chosen=chosen), status=status)
    messages.success(request, done)
    return redirect("ticket", ticket_id=ticket_id)
