"""The reply composer's form and the context its include (`web/ticket_reply.html`) needs, for the request
page and the composer's own views alike."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms

from amends.desk.customer_mail import MAX_ATTACHMENTS, MAX_BODY
from amends.desk.models import ActionState, CustomerAction, Situation, Ticket

EMAIL, NOTE = "email", "note"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input (Django's documented pattern)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class ReplyForm(forms.Form):
    mode = forms.ChoiceField(choices=[(EMAIL, "Email the customer"), (NOTE, "Internal note")], initial=EMAIL)
    template = forms.ChoiceField(choices=[("", "No template"), *Situation.choices], required=False)
    subject = forms.CharField(max_length=200, required=False)
    body = forms.CharField(max_length=MAX_BODY, widget=forms.Textarea(attrs={"rows": 8}),
                           error_messages={"required": "Write the reply or the note."})
    attachments = MultipleFileField(required=False)


def notice_candidates(ticket: Ticket) -> list[CustomerAction]:
    """The request's actions an email may tell the customer of (any not cancelled)."""
    return list(CustomerAction.objects.filter(ticket_id=ticket.pk).exclude(state=ActionState.CANCELLED)
                .order_by("decided_at", "id"))


def chosen_actions(data: Any, candidates: Sequence[CustomerAction]) -> list[CustomerAction]:
    """The actions ticked in the composer (`actions`: their ids), among the request's candidates."""
    ids = {int(v) for v in data.getlist("actions") if str(v).isdigit()}
    return [a for a in candidates if a.pk in ids]


def reply_context(
    ticket: Ticket, *, form: ReplyForm | None = None, error: str = "", preview: Any = None,
    actions: Sequence[CustomerAction] | None = None, chosen: Sequence[int] = (),
) -> dict:
    """What the composer include needs, for the request page's context. `actions`: the request's actions an
    email may name (read when not given); `chosen`: the ids ticked."""
    can_email = bool(ticket.contact and ticket.contact.email)
    form = form or ReplyForm(initial={"mode": EMAIL if can_email else NOTE})
    return {
        "reply": {
            "form": form, "error": error, "preview": preview, "can_email": can_email,
            "to": ticket.contact.email if can_email and ticket.contact else "",
            "situations": Situation.choices, "max_files": MAX_ATTACHMENTS,
            "mode": form["mode"].value() or (EMAIL if can_email else NOTE),
            "actions": notice_candidates(ticket) if actions is None else list(actions), "chosen": set(chosen),
        },
    }
