"""The portal's pages: thin. Each reads the input, checks who is signed in, calls one read or one service and
renders; a rule broken (DomainError) comes back as a message beside the field it names."""

from __future__ import annotations

from typing import Any

from axes.helpers import get_client_ip_address
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from amends.core.clock import wall_now
from amends.core.errors import DomainError, NotFound
from amends.desk.models import Ticket
from amends.portal.models import PortalAttachment
from amends.portal.plain import human_time
from amends.portal.queries import handling_page, my_requests, my_ticket, request_view
from amends.portal.services import (
    complaint_answer_by,
    portal_complain,
    portal_reply,
    portal_sign_in,
    signin_link_request,
)
from amends.portal.session import (
    PortalRequest,
    contact_required,
    safe_next,
    session_end,
    session_start,
    signed_in,
)

NOT_YOURS = "We could not find that request among yours."


def _page(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    if "signed_in" not in context:  # the public page: a signed-in contact still sees their menu
        context = {**context, "signed_in": signed_in(request)}
    return render(request, template, context, status=status)


def home(request: HttpRequest) -> HttpResponse:
    target = "portal:requests" if signed_in(request) else "portal:signin"
    return HttpResponseRedirect(reverse(target))


# --- Sign-in ---------------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def signin(request: HttpRequest) -> HttpResponse:
    next_url = safe_next(request.POST.get("next") or request.GET.get("next"), request)
    if request.method == "GET" and signed_in(request):
        return HttpResponseRedirect(next_url or reverse("portal:requests"))
    context: dict[str, Any] = {"next": next_url, "email": "", "errors": {}, "signed_in": None}
    if request.method == "POST":
        context["email"] = (request.POST.get("email") or "")[:320]
        try:
            signin_link_request(context["email"], ip_address=get_client_ip_address(request), now=wall_now(),
                                next_url=next_url)
        except DomainError as exc:
            context["errors"] = {exc.field or "email": exc.message}
            return _page(request, "portal/signin.html", context, status=exc.status if exc.status == 429 else 400)
        return HttpResponseRedirect(reverse("portal:signin_sent"))
    return _page(request, "portal/signin.html", context)


def signin_sent(request: HttpRequest) -> HttpResponse:
    return _page(request, "portal/signin_sent.html", {"signed_in": None})


@never_cache
@require_http_methods(["GET", "POST"])
def link(request: HttpRequest) -> HttpResponse:
    """The emailed link. A GET (a person, or a mail scanner) only shows a button; the POST signs in."""
    source = request.POST if request.method == "POST" else request.GET
    token = (source.get("sesame") or "")[:200]
    next_url = safe_next(source.get("next"), request)
    if request.method == "POST":
        login = portal_sign_in(token, now=wall_now())
        if login is not None:
            session_start(request, login)
            return HttpResponseRedirect(next_url or reverse("portal:requests"))
        return _page(request, "portal/link.html", {"failed": True, "next": next_url, "signed_in": None}, status=400)
    return _page(request, "portal/link.html", {"token": token, "next": next_url, "signed_in": None})


@require_POST
def signout(request: HttpRequest) -> HttpResponse:
    session_end(request)
    return HttpResponseRedirect(reverse("portal:signin"))


# --- My requests -------------------------------------------------------------------------------------


@never_cache  # a customer's own data, or a sign-in token: never kept by a browser or a proxy
@contact_required
def requests_list(request: PortalRequest) -> HttpResponse:
    rows = my_requests(request.portal.contact, wall_now())
    return _page(request, "portal/requests.html", {"rows": rows, "signed_in": request.portal})


def _mine(request: PortalRequest, ticket_id: int) -> Ticket:
    try:
        return my_ticket(request.portal.contact, ticket_id)
    except NotFound:
        raise Http404(NOT_YOURS) from None


@never_cache
@contact_required
@require_http_methods(["GET", "POST"])
def request_page(request: PortalRequest, ticket_id: int) -> HttpResponse:
    ticket = _mine(request, ticket_id)
    errors: dict[str, str] = {}
    text = ""
    if request.method == "POST":
        text = (request.POST.get("text") or "")[:20_000]
        try:
            wrote = portal_reply(request.portal, ticket, text=text, files=request.FILES.getlist("files"),
                                 now=wall_now())
        except DomainError as exc:
            errors = {exc.field or "text": exc.message}
        else:
            if wrote.ticket.pk != ticket.pk:
                messages.success(request, f"{ticket.reference} was closed a while ago, so your message started "
                                          f"a new request, {wrote.ticket.reference}, that follows it up.")
            else:
                messages.success(request, "Thank you: your message is with us.")
            return HttpResponseRedirect(reverse("portal:request", args=[wrote.ticket.pk]))
    view = request_view(ticket, wall_now())
    return _page(request, "portal/request.html", {"v": view, "t": ticket, "errors": errors, "text": text,
                                                 "signed_in": request.portal}, status=400 if errors else 200)


@never_cache
@contact_required
def request_file(request: PortalRequest, ticket_id: int, file_id: int) -> HttpResponseBase:
    ticket = _mine(request, ticket_id)
    attachment = PortalAttachment.objects.filter(pk=file_id, ticket=ticket).first()
    if attachment is None:
        raise Http404("no such file on this request")
    # Always a download, never shown inline: a customer's HTML or SVG never runs on our site.
    return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.filename,
                        content_type="application/octet-stream")


# --- Complaint ------------------------------------------------------------------------------------------


@never_cache
@contact_required
@require_http_methods(["GET", "POST"])
def complaint(request: PortalRequest) -> HttpResponse:
    now = wall_now()
    rows = my_requests(request.portal.contact, now)
    about_id = request.POST.get("about") or request.GET.get("about") or ""
    text, errors = "", {}
    if request.method == "POST":
        text = (request.POST.get("text") or "")[:20_000]
        try:
            about = my_ticket(request.portal.contact, int(about_id)) if about_id else None
            intake = portal_complain(request.portal, text=text, about=about, now=now)
        except (ValueError, NotFound):
            errors = {"about": "choose one of your requests, or none"}
        except DomainError as exc:
            errors = {exc.field or "text": exc.message}
        else:
            reply = complaint_answer_by(intake)
            zone = intake.ticket.team.calendar.time_zone
            messages.success(
                request, "Thank you for telling us. Your complaint is with a team lead"
                + (f", and you will hear from us by {human_time(reply, zone=zone, now=now)}." if reply else "."),
            )
            return HttpResponseRedirect(reverse("portal:request", args=[intake.ticket.pk]))
    return _page(request, "portal/complaint.html", {
        "rows": [r for r in rows if r.ticket.kind != "complaint"], "about": about_id, "text": text,
        "errors": errors, "signed_in": request.portal,
    }, status=400 if errors else 200)


# --- The public page --------------------------------------------------------------------------------------


def how_we_work(request: HttpRequest) -> HttpResponse:
    return _page(request, "portal/how.html", {"page": handling_page(wall_now())})
