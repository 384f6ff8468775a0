"""One helper so the htmx partial and the full page come from the same view (STYLE.md #14)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def render_page_or_partial(
    request: HttpRequest, full_template: str, partial_template: str, context: dict, *, status: int = 200
) -> HttpResponse:
    """An htmx request (not a boosted navigation) gets the partial; a normal request gets the full page,
    which includes the same partial."""
    htmx = getattr(request, "htmx", None)
    template = partial_template if htmx and not htmx.boosted else full_template
    return render(request, template, context, status=status)
