"""The reply composer's form and the context its include (`web/ticket_reply.html`) needs, for the request
page and the composer's own views alike."""

from __future__ import annotations

from typing import Any

from django import forms

from amends.desk.customer_mail import MAX_ATTACHMENTS, MAX_BODY
from amends.desk.models import Situation, Ticket

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


def reply_context(ticket: Ticket, *, form: ReplyForm | None = None, error: str = "", preview: Any = None) -> dict:
    """What the composer include needs, for the request page's context."""
    can_email = bool(ticket.contact and ticket.contact.email)
    form = form or ReplyForm(initial={"mode": EMAIL if can_email else NOTE})
    return {
        "reply": {
            "form": form, "error": error, "preview": preview, "can_email": can_email,
            "to": ticket.contact.email if can_email and ticket.contact else "",
            "situations": Situation.choices, "max_files": MAX_ATTACHMENTS,
            "mode": form["mode"].value() or (EMAIL if can_email else NOTE),
        },
    }
