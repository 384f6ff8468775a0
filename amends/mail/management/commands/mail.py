"""`amends mail ingest PATH…` and `amends mail poll`: email in from the command line.

`ingest` takes raw messages (.eml files, or mbox files) through the same path as the IMAP poll and the
webhook, and prints one line per message: the request it created or joined, or why it was rejected.
`poll` polls every mailbox with an IMAP server once (the worker does this in its mail loop).
"""

from __future__ import annotations

import mailbox as mbox
from collections.abc import Iterator
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from amends.core.clock import parse_now
from amends.mail.imap import mailboxes_poll
from amends.mail.models import Mailbox, Via
from amends.mail.services import message_receive


def _is_mbox(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(5) == b"From " and path.suffix.lower() != ".eml"


def raw_messages(path: Path) -> Iterator[tuple[str, bytes]]:
    """(label, raw bytes) for each message in a .eml file or an mbox file."""
    if _is_mbox(path):
        box = mbox.mbox(path, create=False)
        try:
            for i, key in enumerate(box.iterkeys(), start=1):
                yield f"{path}#{i}", box.get_bytes(key)
        finally:
            box.close()
    else:
        yield str(path), path.read_bytes()


class Command(BaseCommand):
    help = "Email in: `ingest PATH…` takes raw messages (.eml or mbox files); `poll` polls the IMAP mailboxes once."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="{ingest,poll}")
        ingest = sub.add_parser("ingest", help="Take in .eml or mbox files, printing what became of each message.")
        ingest.add_argument("paths", nargs="+", metavar="PATH")
        ingest.add_argument("--mailbox", help="The mailbox (its name) the messages arrived at; needed when there are several.")
        ingest.add_argument("--now", help="Take them in as if at this ISO 8601 instant.")
        poll = sub.add_parser("poll", help="Poll every mailbox with an IMAP server once.")
        poll.add_argument("--now", help="Record the messages as received at this ISO 8601 instant.")

    def handle(self, *args, action: str, now: str | None = None, **options):
        try:
            at = parse_now(now)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if action == "poll":
            results = mailboxes_poll(at)
            if not results:
                self.stdout.write("no mailbox has an IMAP server to poll")
            for result in results:
                for record in result.received:
                    self.stdout.write(f"{result.mailbox.name}: {record.from_address or '?'}: {record.summary()}")
                state = f"error: {result.error}" if result.error else "ok"
                self.stdout.write(f"{result.mailbox.name}: {len(result.received)} message(s), {state}")
            if any(r.error for r in results):
                raise CommandError("polling failed for: " + ", ".join(r.mailbox.name for r in results if r.error))
            return
        target = self.mailbox(options.get("mailbox"))
        for name in options["paths"]:
            path = Path(name)
            if not path.is_file():
                raise CommandError(f"PATH: {name} is not a file")
        for name in options["paths"]:
            for label, raw in raw_messages(Path(name)):
                record = message_receive(raw, mailbox=target, now=at, via=Via.CLI)
                self.stdout.write(f"{label}: {record.summary()}")

    def mailbox(self, name: str | None) -> Mailbox:
        boxes = Mailbox.objects.select_related("team", "holding_account")
        if name:
            found = boxes.filter(name=name).first()
            if found is None:
                names = ", ".join(boxes.values_list("name", flat=True)) or "none yet (add one in the admin)"
                raise CommandError(f"--mailbox: no mailbox {name!r}; the mailboxes are: {names}")
            return found
        all_boxes = list(boxes[:2])
        if len(all_boxes) != 1:
            raise CommandError("--mailbox: name the mailbox the messages arrived at" if all_boxes else
                               "no mailbox yet: add one (a team's address and holding account) in the admin first")
        return all_boxes[0]
