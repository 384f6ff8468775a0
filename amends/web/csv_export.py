"""CSV downloads of the workspace's lists: streamed row by row (a list of 100,000 requests never sits in
memory), each cell that a spreadsheet would run as a formula (=, +, -, @, a tab or a carriage return first)
prefixed with an apostrophe (OWASP's advice on CSV injection: customers write subjects and names)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.http import StreamingHttpResponse

from amends.core.timefmt import local

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    """csv.writer's file: each write returns the line for the response to send."""

    def write(self, value: str) -> str:
        return value


def csv_cell(value: object) -> str:
    """A value as a CSV cell: times in the desk's zone ("2026-03-06 09:30"), None empty, and text that would
    start a formula made inert."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return f"{local(value):%Y-%m-%d %H:%M}"
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def lines() -> Iterable[str]:
        yield "\ufeff"  # a byte-order mark: spreadsheets then read the file as UTF-8
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow([csv_cell(v) for v in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
