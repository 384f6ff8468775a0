"""My account: two-factor sign-in (set up with a QR code and a first code, or removed with a code), and for
admins, whether two-factor is required of all staff."""

from __future__ import annotations

from base64 import b32encode

import django_otp
import segno
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from amends.core.clock import wall_now
from amends.core.errors import DomainError
from amends.people.models import Agent, Role
from amends.people.two_factor import (
    signin_policy,
    two_factor_device,
    two_factor_enrol_confirm,
    two_factor_enrol_start,
    two_factor_remove,
    two_factor_require,
)
from amends.web.forms import CodeForm, capfirst_sentence
from amends.web.http import AgentRequest, safe_next
from amends.web.permissions import agent_required, forbidden
from amends.web.two_factor import STEP_KEY


def secret_for_typing(device: TOTPDevice) -> str:
    """The key as people type it into an app: base32 in groups of four."""
    key = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i:i + 4] for i in range(0, len(key), 4))


def qr_svg(url: str) -> str:
    """The otpauth:// link as an inline SVG QR code (segno: no image library, no inline style or script)."""
    return segno.make(url, error="m").svg_inline(scale=5, border=2, light="#fff", dark="#000", title="QR code")


def _page(request: AgentRequest, form: CodeForm | None = None, status: int = 200) -> HttpResponse:
    me: Agent = request.agent
    device = two_factor_device(me.user)
    pending = None if device else TOTPDevice.objects.devices_for_user(me.user, confirmed=False).first()
    context = {
        "device": device, "pending": pending, "form": form or CodeForm(), "policy": signin_policy(),
        "must_enrol": request.session.get(STEP_KEY) == "enrol", "is_admin": me.role == Role.ADMIN,
        "next": safe_next(request, fallback=""),
    }
    if pending is not None:
        context["secret"] = secret_for_typing(pending)
        context["qr"] = mark_safe(qr_svg(pending.config_url))  # segno's SVG of our own otpauth URL
    return render(request, "web/account.html", context, status=status)


@agent_required
def account(request: AgentRequest) -> HttpResponse:
    return _page(request)


@require_POST
@agent_required
def two_factor_enrol(request: AgentRequest) -> HttpResponse:
    """Start setting up an authenticator: a new secret, shown on the account page with its QR code."""
    try:
        two_factor_enrol_start(request.agent.user)
    except DomainError as exc:
        messages.info(request, capfirst_sentence(exc.message))
    return redirect_with_next(request)


def redirect_with_next(request: AgentRequest) -> HttpResponse:
    response = redirect("account")
    nxt = safe_next(request, fallback="")
    if nxt:
        response["Location"] += "?" + "next=" + nxt
    return response


@require_POST
@agent_required
def two_factor_confirm(request: AgentRequest) -> HttpResponse:
    """The first code from the app turns two-factor on (and counts as this session's second step)."""
    form = CodeForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=422)
    try:
        device = two_factor_enrol_confirm(request.agent, form.cleaned_data["code"], now=wall_now())
    except DomainError as exc:
        form.add_error("code", capfirst_sentence(exc.message))
        return _page(request, form, status=429 if exc.status == 429 else 422)
    django_otp.login(request, device)
    finished_step = request.session.pop(STEP_KEY, None) is not None
    messages.success(request, "Two-factor sign-in is on. From now on you sign in with your password and a code "
                              "from your authenticator app.")
    return redirect(safe_next(request)) if finished_step else redirect("account")


@require_POST
@agent_required
def two_factor_off(request: AgentRequest) -> HttpResponse:
    """Turn two-factor off, confirmed with a current code."""
    form = CodeForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=422)
    try:
        two_factor_remove(request.agent, form.cleaned_data["code"], now=wall_now())
    except DomainError as exc:
        form.add_error("code", capfirst_sentence(exc.message))
        return _page(request, form, status=exc.status if exc.status in (409, 429) else 422)
    messages.success(request, "Two-factor sign-in is off. You sign in with your password only.")
    return redirect("account")


@require_POST
@agent_required
def two_factor_requirement(request: AgentRequest) -> HttpResponse:
    """An admin requires two-factor of all staff, or stops requiring it."""
    me: Agent = request.agent
    if me.role != Role.ADMIN:
        return forbidden(request, "Only an administrator can change whether two-factor sign-in is required.")
    required = request.POST.get("require_two_factor") == "1"
    try:
        two_factor_require(required, now=wall_now(), actor=me)
    except DomainError as exc:
        messages.info(request, capfirst_sentence(exc.message))
        return redirect("account")
    messages.success(request, "Two-factor sign-in is now required for all staff: anyone without an authenticator "
                              "app sets one up at their next sign-in." if required else
                              "Two-factor sign-in is now optional for staff.")
    return redirect("account")
