"""`amends webhook add URL --events … | list | log ID | pause ID | resume ID | rotate-secret ID | remove ID`:
the endpoints other systems receive events on (see docs/webhooks.md)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from amends.core.clock import wall_now
from amends.core.errors import DomainError
from amends.core.webhook_endpoints import (
    webhook_deliveries_log,
    webhook_endpoint_add,
    webhook_endpoint_get,
    webhook_endpoint_pause,
    webhook_endpoint_remove,
    webhook_endpoint_resume,
    webhook_endpoints_list,
    webhook_secret_rotate,
)
from amends.core.webhooks import EVENT_TYPE_LABELS


def _when(ts) -> str:
    return timezone.localtime(ts).strftime("%Y-%m-%d %H:%M") if ts else "-"


class Command(BaseCommand):
    help = "Register, list, pause, resume and remove webhook endpoints, and give one a new signing secret."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True,
                                        metavar="{add,list,log,pause,resume,rotate-secret,remove}")
        add = actions.add_parser("add", help="Register an endpoint and print its signing secret once.")
        add.add_argument("url", help="Where events are POSTed, e.g. https://example.com/hooks/amends")
        add.add_argument("--events", required=True,
                         help=f"Comma-separated event types, from: {', '.join(EVENT_TYPE_LABELS)}; or 'all'")
        add.add_argument("--description", default="", help="What it is for, e.g. CRM sync")
        actions.add_parser("list", help="List the endpoints, their events and state (secrets are never shown).")
        log = actions.add_parser("log", help="An endpoint's latest deliveries.")
        log.add_argument("id", help="The endpoint's number (see list)")
        for name, text in (("pause", "Stop sending to an endpoint; its deliveries wait."),
                           ("resume", "Send to a paused endpoint again, starting with what waited."),
                           ("rotate-secret", "Give an endpoint a new signing secret (the old one stops now)."),
                           ("remove", "Remove an endpoint; its waiting deliveries are dropped.")):
            action = actions.add_parser(name, help=text)
            action.add_argument("id", help="The endpoint's number (see list)")

    def handle(self, *args, action: str, **options):
        try:
            getattr(self, f"_{action.replace('-', '_')}")(options)
        except DomainError as exc:
            raise CommandError(f"{exc.field}: {exc.message}" if exc.field else exc.message) from exc

    def _add(self, options) -> None:
        events = [e.strip() for e in options["events"].split(",")]
        if events == ["all"]:
            events = list(EVENT_TYPE_LABELS)
        endpoint, secret = webhook_endpoint_add(
            url=options["url"], events=events, description=options["description"], now=wall_now()
        )
        self.stdout.write(f"Added webhook endpoint {endpoint.pk}: {endpoint.url} ({', '.join(endpoint.events)}).")
        self.stdout.write("Its signing secret is shown only now; give it to the receiving system:")
        self.stdout.write(f"    {secret}")

    def _list(self, options) -> None:
        endpoints = webhook_endpoints_list()
        if not endpoints:
            self.stdout.write("No webhook endpoints yet. Add one with: amends webhook add URL --events request.created")
            return
        for e in endpoints:
            state = f"paused {_when(e.paused_at)} ({e.paused_reason})" if e.paused_at else "active"
            failing = f"  failing since {_when(e.failing_since)} ({e.consecutive_failures}x)" if e.failing_since else ""
            about = f"  {e.description}" if e.description else ""
            self.stdout.write(f"{e.pk}  {e.url}  {state}  {','.join(e.events)}{about}{failing}")

    def _log(self, options) -> None:
        endpoint = webhook_endpoint_get(options["id"])
        rows = webhook_deliveries_log([endpoint])
        if not rows:
            self.stdout.write(f"Nothing delivered to endpoint {endpoint.pk} yet.")
        for row in rows:
            last = f"HTTP {row.last_status}" if row.last_status else ""
            error = f" {row.last_error}" if row.last_error and not row.delivered_at else ""
            later = f" next {_when(row.next_attempt_at)}" if row.status in ("pending", "retrying") else ""
            self.stdout.write(f"{row.webhook_id}  {row.event_type}  {_when(row.created_at)}  {row.status}  "
                              f"attempts {row.attempts}  {last}{error}{later}".rstrip())

    def _pause(self, options) -> None:
        endpoint = webhook_endpoint_pause(webhook_endpoint_get(options["id"]), now=wall_now(),
                                          reason="paused from the command line")
        self.stdout.write(f"Paused webhook endpoint {endpoint.pk} ({endpoint.url}); its deliveries wait for a resume.")

    def _resume(self, options) -> None:
        endpoint = webhook_endpoint_get(options["id"])
        waiting = webhook_endpoint_resume(endpoint, now=wall_now())
        self.stdout.write(f"Resumed webhook endpoint {endpoint.pk} ({endpoint.url}); {waiting} waiting deliveries go now.")

    def _rotate_secret(self, options) -> None:
        endpoint = webhook_endpoint_get(options["id"])
        secret = webhook_secret_rotate(endpoint, now=wall_now())
        self.stdout.write(f"New signing secret for webhook endpoint {endpoint.pk} ({endpoint.url}); the old one "
                          "no longer signs. It is shown only now:")
        self.stdout.write(f"    {secret}")

    def _remove(self, options) -> None:
        endpoint = webhook_endpoint_get(options["id"])
        dropped = webhook_endpoint_remove(endpoint, now=wall_now())
        self.stdout.write(f"Removed webhook endpoint {endpoint.pk} ({endpoint.url}); {dropped} waiting deliveries dropped.")
