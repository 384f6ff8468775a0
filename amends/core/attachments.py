"""What an attachment may be, in mail received and mail sent alike: within the size limit, and never a
program or script."""

from __future__ import annotations

from pathlib import PurePosixPath

from django.conf import settings

BLOCKED_EXTENSIONS = frozenset({
    ".exe", ".com", ".bat", ".cmd", ".scr", ".pif", ".msi", ".dll", ".vbs", ".vbe", ".js", ".jse", ".jar",
    ".ps1", ".hta", ".lnk", ".cpl", ".wsf",
})
BLOCKED_TYPES = frozenset({
    "application/x-msdownload", "application/x-dosexec", "application/x-msdos-program", "application/x-ms-installer",
    "application/hta", "application/x-javascript", "application/javascript", "text/javascript",
})


def attachment_refusal(filename: str, content_type: str, size: int) -> str:
    """Why an attachment is not stored or sent, or "" when it may be."""
    limit = settings.AMENDS_MAIL_MAX_ATTACHMENT_BYTES
    if size > limit:
        return f"larger than the {limit:,}-byte limit ({size:,} bytes)"
    if PurePosixPath(filename.lower()).suffix in BLOCKED_EXTENSIONS or content_type.lower() in BLOCKED_TYPES:
        return f"a program or script ({content_type}, {filename}) is not stored"
    return ""
