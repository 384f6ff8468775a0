"""`amends demo`: Brightwire IT, a small London IT-support company with two weeks of life behind it.

The history is made the way life makes it: requests arrive through `ticket_create` at past instants,
agents reply, promise, chase and change states through the desk services, and the watchdog ticks at
every moment something falls due, in time order, up to `now`. Everything is placed relative to `now`
on the business calendar, so the desk looks the same at 10:00 on a Tuesday as on a Saturday night:
the history sits on the last working days and the near deadlines fall in the next opening hours.

The staff mail the story caused is marked delivered when it was written (through Django's dummy mail
backend): the people are fictional. Loading is idempotent: a database that already holds the demo is
left alone, and a database with teams of its own is not touched. All demo staff share
one password, generated on the first load and kept in DATA_DIR/demo-login.txt (mode 600).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.db import transaction

from amends.demo.build import Demo
from amends.demo.company import CALENDAR_NAME, LOGIN_USERS, PORTAL_CONTACT, STAFF
from amends.people.models import BusinessCalendar, Role, Team

PASSWORD_FILE = "demo-login.txt"


@dataclass(frozen=True)
class DemoUser:
    username: str
    name: str
    role: str
    about: str


@dataclass
class DemoLogin:
    """What `amends demo` and `amends run` print: who can log in, with which password."""

    password: str
    users: list[DemoUser]
    created: bool
    summary: str = ""

    def lines(self) -> list[str]:
        if not self.users:
            return [self.summary] if self.summary else []
        first, *others = self.users
        lines = [f'Demo login: {first.role} "{first.username}" ({first.name}, {first.about}) / password {self.password}']
        lines += [f'            {u.role} "{u.username}" ({u.name}, {u.about}) / same password' for u in others]
        name, email, account = PORTAL_CONTACT
        mail_dir = getattr(settings, "EMAIL_FILE_PATH", "")
        lines += [
            f"Customer portal (/portal/): sign in as {name} of {account} with {email}.",
            "            " + (f"The sign-in link is emailed to a file in {mail_dir}/; or print one with"
                              if mail_dir else "The sign-in link is emailed; or print one with"),
            f"            amends portal link {email}",
        ]
        return lines


def demo_load(now: datetime) -> DemoLogin:
    """Load the demo as of `now` unless it is there already; either way say how to log in."""
    if now.tzinfo is None:
        raise ValueError("demo_load needs an aware `now`")
    with transaction.atomic():
        loaded = BusinessCalendar.objects.filter(name=CALENDAR_NAME).exists()
        if not loaded and Team.objects.exists():
            return DemoLogin("", [], created=False,
                             summary="Not loading the demo: this database already has teams of its own.")
        password, fresh = _password()
        if loaded:
            if fresh:  # the data outlived its password file: give the staff the new password
                User.objects.filter(username__in=[s[0] for s in STAFF]).update(password=make_password(password))
            return DemoLogin(password, _login_users(), created=False, summary="The demo data is already loaded.")
        demo = Demo(now, password)
        demo.build()
    return DemoLogin(password, _login_users(), created=True, summary=demo.summary())


def _login_users() -> list[DemoUser]:
    names = dict(User.objects.filter(username__in=LOGIN_USERS).values_list("username", "first_name"))
    by_name = {s[0]: s for s in STAFF}
    users = []
    for username in LOGIN_USERS:
        if username in names:
            _, first, last, _, role, about = by_name[username]
            users.append(DemoUser(username, f"{first} {last}", Role(role).label.lower(), about))
    return users


def _password() -> tuple[str, bool]:
    """(password, whether it was just made): read from DATA_DIR, or generated and saved there, mode 600."""
    path = Path(settings.DATA_DIR) / PASSWORD_FILE
    if path.exists():
        saved = path.read_text().strip()
        if saved:
            return saved, False
    path.parent.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(12)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(password + "\n")
    path.chmod(0o600)
    return password, True
