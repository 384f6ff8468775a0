"""`amends portal link EMAIL [--next /portal/requests/ID/]`: print a one-time sign-in link to the customer
portal for the contact(s) with that address, without emailing it (for the demo, which delivers mail to
files, and for an administrator helping a customer on the phone)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from amends.core.clock import wall_now
from amends.portal.services import signin_links


class Command(BaseCommand):
    help = "The customer portal: `link EMAIL` prints a one-time sign-in link for that contact."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="{link}")
        link = sub.add_parser("link", help="Print a one-time sign-in link for the contact(s) with this address.")
        link.add_argument("email")
        link.add_argument("--next", default="", help="A portal page to open after signing in, e.g. /portal/requests/12/")

    def handle(self, *args, action: str, email: str, next: str, **options):
        if next and not next.startswith("/portal/"):
            raise CommandError("--next: give a portal page, starting /portal/")
        links = signin_links(email, now=wall_now(), next_url=next)
        if not links:
            raise CommandError(f"no customer contact has the address {email!r}")
        for contact, url in links:
            self.stdout.write(f"{contact.name} ({contact.account.name}): {url}")
