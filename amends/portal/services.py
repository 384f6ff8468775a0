"""Changes made from the portal: asking for a sign-in link, signing in with one, replying on a request
(with files) and complaining. Each is one transaction that records its event and any message, and reuses
the desk's services: a reply lands exactly as an emailed one would, a complaint is taken in as any request.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils.text import get_valid_filename
from sesame.tokens import create_token, parse_token

from amends.core.errors import DomainError
from amends.core.events import event_record
from amends.core.models import Audience
from amends.core.outbox import outbox_enqueue
from amends.customers.models import Contact
from amends.desk.intake import Intake, ticket_take_in
from amends.desk.models import Channel, Kind, PromiseKind, Ticket
from amends.desk.replies import CustomerWrote, ticket_customer_writes
from amends.mail.queries import holding_account_ids
from amends.mail.services import attachment_refusal
from amends.policies.models import Urgency
from amends.portal.models import LinkRequest, PortalAttachment, PortalLogin
from amends.portal.queries import reopen_window

SCOPE = "portal"  # links made for the portal are good for nothing else
LINKS_PER_ADDRESS = 3  # per LINK_WINDOW, whatever the client
LINKS_PER_CLIENT = 20  # per LINK_WINDOW, whatever the address
LINK_WINDOW = timedelta(minutes=15)
MAX_FILES = 5
MAX_MESSAGE = 10_000
SNIPPET = 1000


# --- Sign-in ---------------------------------------------------------------------------------------


def portal_login_for(contact: Contact, *, now: datetime) -> PortalLogin:
    """The contact's portal login, made on first use: a Django user without password or staff rights."""
    login = PortalLogin.objects.filter(contact=contact).select_related("user").first()
    if login is not None:
        return login
    with transaction.atomic():
        user = User(username=f"portal-{contact.pk}", email=contact.email, first_name=contact.name[:150],
                    is_staff=False, is_superuser=False, date_joined=now)
        user.set_unusable_password()
        user.save(force_insert=True)
        return PortalLogin.objects.create(contact=contact, user=user, created_at=now)


def _portal_user(user_id: int | str) -> User | None:
    """The user a link names, only if it is an active portal login's (so a link never names a member of staff)."""
    return User.objects.filter(pk=user_id, is_active=True, portal_login__isnull=False).first()


def signin_link(login: PortalLogin, next_url: str = "") -> str:
    """The emailed link: to the confirm page, which signs in only on a person's POST."""
    query = {"sesame": create_token(login.user, scope=SCOPE)}
    if next_url:
        query["next"] = next_url
    return f"{settings.AMENDS_BASE_URL.rstrip('/')}{reverse('portal:link')}?{urlencode(query)}"


def portal_contacts(email: str) -> list[Contact]:
    """The contacts an address may sign in as: those with it, outside the holding accounts of unconfirmed
    senders (whose account a person has not yet confirmed)."""
    return list(
        Contact.objects.filter(email__iexact=email).exclude(account_id__in=holding_account_ids())
        .select_related("account").order_by("pk")
    )


def signin_links(email: str, *, now: datetime, next_url: str = "") -> list[tuple[Contact, str]]:
    """A sign-in link for each contact with `email`, for someone with the server's command line (`amends
    portal link`): the same one-time, short-lived links the email carries, without sending any."""
    email = " ".join((email or "").split()).lower()
    return [(c, signin_link(portal_login_for(c, now=now), next_url)) for c in portal_contacts(email)]


def signin_link_request(email: str, *, ip_address: str | None, now: datetime, next_url: str = "") -> int:
    """Someone asks for a sign-in link for `email`. Each contact with that address (outside a holding account
    of unconfirmed senders) gets one by email, through the outbox. The answer is the same whether or not
    the address is known; too many asks for one address or from one client are refused (429) either way.
    Returns how many links were sent, for tests and the CLI, never for the page."""
    email = " ".join((email or "").split()).lower()
    try:
        validate_email(email)
    except ValidationError:
        raise DomainError("enter your email address, like name@example.com", field="email") from None
    since = now - LINK_WINDOW
    with transaction.atomic():
        recent = LinkRequest.objects.filter(created_at__gt=since)
        if recent.filter(email=email).count() >= LINKS_PER_ADDRESS or (
            ip_address and recent.filter(ip_address=ip_address).count() >= LINKS_PER_CLIENT
        ):
            raise DomainError("too many sign-in links asked for just now: wait a quarter of an hour, then try "
                              "again, or use the last link we sent", field="email", status=429)
        LinkRequest.objects.filter(email=email, created_at__lte=since).delete()  # kept only while they count
        LinkRequest.objects.create(email=email, ip_address=ip_address or None, created_at=now)
        contacts = portal_contacts(email)
        minutes = int(settings.SESAME_MAX_AGE.total_seconds() // 60)
        sent = 0
        for contact in contacts:
            link = signin_link(portal_login_for(contact, now=now), next_url)
            outbox_enqueue(
                audience=Audience.CUSTOMER, to=contact.email, now=now,
                subject="Your sign-in link for your support requests",
                body=(
                    f"Hello {contact.name},\n\n"
                    f"To see your requests with us ({contact.account.name}), open this link and press "
                    f"\"Sign in\":\n\n{link}\n\n"
                    f"The link works once, within {minutes} minutes. If you did not ask for it, you can ignore "
                    "this email: nobody can sign in without it.\n"
                ),
            )
            sent += 1
    return sent


def portal_sign_in(token: str, *, now: datetime) -> PortalLogin | None:
    """Sign in with a link's token: the login, or None when the link is wrong, expired or already used. Using
    it stamps the user's last sign-in, which every outstanding link of theirs is bound to (one use)."""
    token = (token or "").strip()
    if not token or len(token) > 200:
        return None
    with transaction.atomic():
        user = parse_token(token, _portal_user, SCOPE)
        if user is None:
            return None
        user = User.objects.select_for_update().get(pk=user.pk)
        if parse_token(token, _portal_user, SCOPE) is None:  # another tab used it while we waited
            return None
        user.last_login = now
        user.save(update_fields=["last_login"])
        login = PortalLogin.objects.select_related("contact__account").get(user=user)
        login.signed_in_at = now
        login.save(update_fields=["signed_in_at"])
    return login


# --- Replies and complaints ---------------------------------------------------------------------------


def _files_check(files: Sequence[UploadedFile]) -> None:
    if len(files) > MAX_FILES:
        raise DomainError(f"attach at most {MAX_FILES} files to one message", field="files")
    for upload in files:
        name = upload.name or "file"
        refusal = attachment_refusal(name, upload.content_type or "application/octet-stream", upload.size or 0)
        if refusal:
            raise DomainError(f"the file {name}: {refusal}", field="files")


def _text(text: str, field: str, empty: str) -> str:
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        raise DomainError(empty, field=field)
    if len(text) > MAX_MESSAGE:
        raise DomainError(f"keep it under {MAX_MESSAGE:,} characters (it has {len(text):,}); attach the rest",
                          field=field)
    return text


def portal_reply(
    login: PortalLogin, ticket: Ticket, *, text: str, files: Sequence[UploadedFile] = (), now: datetime,
) -> CustomerWrote:
    """The contact writes on one of their requests: it lands as an emailed reply would (a chaser, a reopening
    or a follow-up: the desk's rule), with a timeline entry they see and the files stored beside it."""
    contact = login.contact
    if ticket.contact_id != contact.pk:
        raise DomainError("no such request among yours", field="ticket", status=404)
    text = (text or "").strip()
    if not text and files:
        text = "(files attached)"
    text = _text(text, "text", "write your message, or attach a file")
    _files_check(files)
    names = [upload.name or "file" for upload in files]
    attached = f" [attached: {', '.join(names)}; in the admin under Customer portal › Portal attachments]" if names else ""
    with transaction.atomic():
        wrote = ticket_customer_writes(
            ticket, contact=contact, now=now, channel=Channel.WEB, note=f"the portal: {text[:SNIPPET]}{attached}",
            subject=ticket.subject, body=text, reopen_within=reopen_window(ticket.team_id),
        )
        event = event_record(
            ticket=wrote.ticket, kind="customer_message", now=now, customer_visible=True, message=text,
            data={"contact": contact.pk, "channel": Channel.WEB, "files": names, "landed": wrote.landed},
        )
        for upload in files:
            name = get_valid_filename(upload.name or "file")[:100] or "file"
            stored = default_storage.save(f"portal/attachments/{now:%Y/%m/%d}/{wrote.ticket.pk}/{name}", upload)
            PortalAttachment.objects.create(
                ticket=wrote.ticket, event=event, contact=contact, filename=(upload.name or name)[:255],
                content_type=(upload.content_type or "application/octet-stream")[:200], size=upload.size or 0,
                file=stored, created_at=now,
            )
    return wrote


def portal_complain(login: PortalLogin, *, text: str, about: Ticket | None, now: datetime) -> Intake:
    """A private complaint: a complaint request for the team's lead (or as the chain says when the lead is
    away), and the request it is about marked. Intake's acknowledgement tells the customer, by email, that a
    lead has it and when they will hear back."""
    contact = login.contact
    if about is not None and about.contact_id != contact.pk:
        raise DomainError("no such request among yours", field="about", status=404)
    text = _text(text, "text", "tell us what went wrong, in your own words")
    first_line = " ".join(text.split())[:80]
    subject = f"Complaint about {about.reference}: {first_line}" if about else f"Complaint: {first_line}"
    with transaction.atomic():
        intake = ticket_take_in(
            account=contact.account, contact=contact, subject=subject[:200], body=text, channel=Channel.WEB,
            kind=Kind.COMPLAINT, urgency=Urgency.HIGH, now=now, for_lead=True,
        )
        ticket = intake.ticket
        if about is not None:
            event_record(
                ticket=about, kind="complaint", now=now,
                message=f"The customer complained about this request: {ticket.reference}",
                data={"complaint": ticket.pk},
            )
    return intake


def complaint_answer_by(intake: Intake) -> datetime | None:
    """When the customer will hear back: the first-response promise intake made."""
    due = [p.due_at for p in intake.promises if p.kind == PromiseKind.FIRST_RESPONSE]
    return min(due) if due else None
