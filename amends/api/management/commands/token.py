"""`amends token create NAME --role agent|lead|admin [--agent USER] | list | revoke NAME`: bearer tokens
for the API, each an integration's (with a role) or an agent's (acting as them, with their role)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from amends.core.clock import wall_now
from amends.core.errors import DomainError
from amends.core.models import TokenRole
from amends.core.tokens import token_create, token_owner, token_revoke, tokens_list
from amends.people.models import Agent


def _when(ts) -> str:
    return timezone.localtime(ts).strftime("%Y-%m-%d %H:%M") if ts else "never"


class Command(BaseCommand):
    help = "Create, list and revoke API tokens (Authorization: Bearer <key>)."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{create,list,revoke}")
        create = actions.add_parser("create", help="Create a token and print its key once.")
        create.add_argument("name", help="Who uses it, e.g. phone-system")
        create.add_argument(
            "--role", choices=TokenRole.values,
            help="An integration's role: what the API lets it do, by the same rules as the pages. "
            "Required unless --agent is given.",
        )
        create.add_argument(
            "--agent", metavar="USER",
            help="Username of the agent the token acts as, with their role (events name them as the actor).",
        )
        actions.add_parser("list", help="List tokens (names, key prefixes, owners; keys are never shown again).")
        revoke = actions.add_parser("revoke", help="Revoke a token: its key stops working at once.")
        revoke.add_argument("name")

    def handle(self, *args, action: str, **options):
        try:
            getattr(self, f"_{action}")(options)
        except DomainError as exc:
            raise CommandError(exc.message) from exc

    def _create(self, options) -> None:
        agent = None
        if options["agent"]:
            agent = Agent.objects.select_related("user").filter(user__username=options["agent"]).first()
            if agent is None:
                raise CommandError(f"no agent with the username {options['agent']!r}")
        token, raw = token_create(options["name"], now=wall_now(), role=options["role"], agent=agent)
        self.stdout.write(f"Created API token {token.name!r} for {token_owner(token)}. "
                          "Its key is shown only now; store it safely:\n")
        self.stdout.write(f"    {raw}\n")
        self.stdout.write("Send it with every API call as the header:\n")
        self.stdout.write(f"    Authorization: Bearer {raw}")

    def _list(self, options) -> None:
        tokens = tokens_list()
        if not tokens:
            self.stdout.write("No API tokens yet. Create one with: amends token create NAME --role ROLE")
            return
        for token in tokens:
            state = f"revoked {_when(token.revoked_at)}" if token.revoked_at else "active"
            self.stdout.write(
                f"{token.name}  {token.prefix}…  {token_owner(token)}  {state}  created {_when(token.created_at)}  "
                f"last used {_when(token.last_used_at)}"
            )

    def _revoke(self, options) -> None:
        token = token_revoke(options["name"], now=wall_now())
        self.stdout.write(f"Revoked API token {token.name!r}; its key no longer works.")
