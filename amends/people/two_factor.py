"""Two-factor sign-in (TOTP, django-otp): a member of staff enrols an authenticator app and confirms it with a
first code, removes it with a code, and signs in with a code after the password; an admin can require it of
all staff. Each change records its event in its own transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.contrib.auth.models import User
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from amends.core.errors import DomainError
from amends.core.events import event_record
from amends.people.models import Agent, SignInPolicy

DEVICE_NAME = "Authenticator app"
WRONG_CODE = "That code is not right. Enter the 6-digit code your authenticator app shows now."

# --- Reads -----------------------------------------------------------------------------------


def signin_policy() -> SignInPolicy:
    """The workspace's sign-in rules (the defaults until an admin first changes them)."""
    return SignInPolicy.objects.filter(pk=1).first() or SignInPolicy(pk=1)


def two_factor_device(user: User) -> TOTPDevice | None:
    """The person's confirmed authenticator, if they have one."""
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


def two_factor_user_ids(user_ids: list[int]) -> set[int]:
    """Which of these people sign in with an authenticator app (one query)."""
    return set(TOTPDevice.objects.filter(user_id__in=user_ids, confirmed=True).values_list("user_id", flat=True))


def two_factor_step(user: User) -> Literal["code", "enrol"] | None:
    """What a person must do after a right password: give a code, enrol (two-factor is required and they
    have no authenticator yet), or nothing."""
    if two_factor_device(user) is not None:
        return "code"
    return "enrol" if signin_policy().require_two_factor else None


def _code_problem(device: TOTPDevice, code: str) -> DomainError | None:
    """None if `code` is the device's code now, else the error to raise (field "code"). A wrong code slows
    down further tries (django-otp's throttle, saved on the device): raise the error only after the
    transaction commits, or the throttle would roll back with it."""
    allowed, _ = device.verify_is_allowed()
    if not allowed:
        return DomainError(
            "too many wrong codes: wait a few seconds, then enter the code your app shows now", field="code",
            status=429,
        )
    if not device.verify_token(code.strip().replace(" ", "")):
        return DomainError(WRONG_CODE, field="code")
    return None


# --- Changes ---------------------------------------------------------------------------------


def two_factor_enrol_start(user: User) -> TOTPDevice:
    """The unconfirmed authenticator a person is setting up (a new secret unless one is already waiting)."""
    if two_factor_device(user) is not None:
        raise DomainError("two-factor sign-in is already on for this account", field="code", status=409)
    device = TOTPDevice.objects.devices_for_user(user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def two_factor_enrol_confirm(agent: Agent, code: str, *, now: datetime) -> TOTPDevice:
    """Turn two-factor on with the first code from the app: the device is confirmed only if the code is right."""
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update().filter(user=agent.user, confirmed=False).order_by("-pk").first()
        )
        if device is None:
            raise DomainError("start the set-up again: there is no authenticator waiting to be confirmed", field="code")
        problem = _code_problem(device, code)
        if problem is None:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=agent.user, confirmed=False).delete()
            event_record(
                ticket=None, kind="two_factor_enrolled", now=now, actor=agent,
                message=f"{agent.name} turned on two-factor sign-in", data={"agent": agent.pk},
            )
    if problem is not None:
        raise problem
    return device


def two_factor_verify(user: User, code: str) -> TOTPDevice:
    """The sign-in's second step: the person's confirmed authenticator, if `code` is its code now."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
        if device is None:
            raise DomainError("this account has no authenticator app", field="code", status=409)
        problem = _code_problem(device, code)
    if problem is not None:
        raise problem
    return device


def two_factor_remove(agent: Agent, code: str, *, now: datetime) -> None:
    """Turn two-factor off, confirmed with a current code; not while it is required of all staff."""
    with transaction.atomic():
        if signin_policy().require_two_factor:
            raise DomainError(
                "two-factor sign-in is required for all staff, so it cannot be turned off", field="code", status=409
            )
        device = TOTPDevice.objects.select_for_update().filter(user=agent.user, confirmed=True).first()
        if device is None:
            raise DomainError("two-factor sign-in is not on for this account", field="code", status=409)
        problem = _code_problem(device, code)
        if problem is None:
            TOTPDevice.objects.filter(user=agent.user).delete()
            event_record(
                ticket=None, kind="two_factor_removed", now=now, actor=agent,
                message=f"{agent.name} turned off two-factor sign-in", data={"agent": agent.pk},
            )
    if problem is not None:
        raise problem


def two_factor_reset(agent: Agent, *, now: datetime, actor: Agent) -> None:
    """An admin removes a person's authenticator (a lost phone): they sign in with their password again, or
    set up a new app at their next sign-in if two-factor is required."""
    with transaction.atomic():
        removed, _ = TOTPDevice.objects.filter(user=agent.user).delete()
        if not removed:
            raise DomainError(f"{agent.name} does not use two-factor sign-in", field="agent", status=409)
        event_record(
            ticket=None, kind="two_factor_reset", now=now, actor=actor,
            message=f"{actor.name} reset two-factor sign-in for {agent.name}", data={"agent": agent.pk},
        )


def two_factor_require(required: bool, *, now: datetime, actor: Agent) -> SignInPolicy:
    """An admin requires (or stops requiring) two-factor sign-in of all staff. It applies from each person's
    next sign-in: then anyone without an authenticator is sent to set one up."""
    with transaction.atomic():
        policy, _ = SignInPolicy.objects.select_for_update().get_or_create(pk=1)
        if policy.require_two_factor == required:
            state = "already required" if required else "already optional"
            raise DomainError(f"two-factor sign-in is {state}", field="require_two_factor", status=409)
        policy.require_two_factor = required
        policy.changed_at, policy.changed_by = now, actor
        policy.save()
        event_record(
            ticket=None, kind="two_factor_required" if required else "two_factor_optional", now=now, actor=actor,
            message=f"{actor.name} {'required' if required else 'stopped requiring'} two-factor sign-in for all staff",
            data={"require_two_factor": required},
        )
    return policy
