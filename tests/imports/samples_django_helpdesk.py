"""django-helpdesk fixtures built for the tests, as `manage.py dumpdata helpdesk.queue helpdesk.ticket
helpdesk.followup auth.user` writes them (with numeric keys, or natural ones), with the edge cases an import
meets."""

from __future__ import annotations

import json


def _user(pk, username, email, first="", last="", staff=False):
    return {"model": "auth.user", "pk": pk, "fields": {
        "username": username, "first_name": first, "last_name": last, "email": email, "is_staff": staff,
        "is_active": True, "password": "!", "date_joined": "2024-01-01T00:00:00Z"}}


def _ticket(pk, title, status, submitter, created, *, assigned=None, priority=3, on_hold=False, description="",
            resolution="", modified=None):
    return {"model": "helpdesk.ticket", "pk": pk, "fields": {
        "title": title, "queue": 1, "created": created, "modified": modified or created,
        "submitter_email": submitter, "assigned_to": assigned, "status": status, "on_hold": on_hold,
        "description": description, "resolution": resolution, "priority": priority, "due_date": None,
        "secret_key": f"k{pk}", "kbitem": None, "merged_to": None}}


def _followup(pk, ticket, date, comment, *, public=True, user=None, new_status=None, title="Comment"):
    return {"model": "helpdesk.followup", "pk": pk, "fields": {
        "ticket": ticket, "date": date, "title": title, "comment": comment, "public": public, "user": user,
        "new_status": new_status, "message_id": None, "time_spent": None}}


def helpdesk_fixture(*, natural: bool = False) -> dict[str, bytes]:
    """One fixture file; `natural`: users referred to by ["username"] (dumpdata --natural-foreign)."""
    alice = ["alice"] if natural else 11
    ghost = ["ghost"] if natural else 12
    objects = [
        _user(11, "alice", "Alice@Amends.test", "Alice", "Agent", staff=True),
        _user(12, "ghost", "ghost@old-helpdesk.test", "Gisela", "Geist", staff=True),
        _user(13, "bjorn", "bjorn@fjord.test", "Bjørn", "Ødegård"),
        {"model": "helpdesk.queue", "pk": 1, "fields": {"title": "Support", "slug": "support",
                                                        "email_address": "support@old.test"}},
        _ticket(1, "Scanner offline", 1, "bjorn@fjord.test", "2026-02-26T10:00:00+01:00", assigned=alice, priority=1,
                description="The scanner shows offline."),
        _ticket(2, "Reopened: label printer", 2, "BJORN@FJORD.TEST", "2026-02-20T10:00:00Z", assigned=ghost,
                priority=2, description="Labels print blank again."),
        _ticket(3, "Password reset", 3, "ana@gmail.com", "2025-10-01T09:00:00Z", assigned=alice, priority=4,
                description="<p>I cannot <b>sign in</b>.</p>", resolution="Reset the password by phone.",
                modified="2025-10-02T09:00:00Z"),
        _ticket(4, "Old order", 4, "orders@kunde.test", "2025-08-01T09:00:00Z", priority=5,
                description="Order 4711", modified="2025-08-09T09:00:00Z"),
        _ticket(5, "Duplicate of 4", 5, "orders@kunde.test", "2025-08-01T09:05:00Z", description="Order 4711 again"),
        _ticket(6, "Waiting for parts", 1, "orders@kunde.test", "2026-02-28T09:00:00Z", on_hold=True),
        _ticket(7, "Broken date", 1, "x@kunde.test", "yesterday"),
        _ticket(8, "", 1, "x@kunde.test", "2026-02-28T09:00:00Z"),
        _ticket(9, "Strange status", 9, "x@kunde.test", "2026-02-28T09:00:00Z"),
        _followup(101, 1, "2026-02-26T10:00:00+01:00", "The scanner shows offline.", user=None),
        _followup(102, 1, "2026-02-26T11:00:00+01:00", "Please restart it and tell us.", user=alice),
        _followup(103, 1, "2026-02-26T11:05:00+01:00", "Firmware 2.1 known bad.", user=alice, public=False),
        _followup(104, 3, "2025-10-02T09:00:00Z", "", user=alice, new_status=3, title="Resolved"),
        _followup(105, 3, "2025-10-01T12:00:00Z", "<div>Thanks,<br/>Ana</div>", user=None),
        _followup(106, 4, "2025-08-09T09:00:00Z", "Closing.", user=ghost, new_status=4),
        _followup(107, 4, "not a date", "?", user=None),
    ]
    return {"helpdesk.json": json.dumps(objects, ensure_ascii=False, indent=1).encode()}
