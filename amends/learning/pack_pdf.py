"""The review pack as a PDF (WeasyPrint), from its print template: for the meeting, and for the weekly email."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from django.template.loader import render_to_string

from amends.learning.charts import bar_chart
from amends.learning.review_pack import ReviewPack

STYLES = Path(__file__).resolve().parent / "print" / "review_pack.css"  # kept out of the template (strict CSP)


def trend_chart(pack: ReviewPack, weeks: int, chart_id: str):
    rows = pack.trend[-weeks:]
    return bar_chart([f"{w.monday:%d %b}" for w in rows], [w.count for w in rows], chart_id=chart_id,
                     title=f"New failures a week, the last {weeks} weeks")


def pack_html(pack: ReviewPack, now: datetime) -> str:
    return render_to_string("learning/review_pack_print.html", {
        "pack": pack, "now": now, "trend_13": trend_chart(pack, 13, "trend13"), "tz": pack.tz.key,
    })


def pack_pdf(pack: ReviewPack, now: datetime) -> bytes:
    # Imported here, not at the top: WeasyPrint takes half a second to import, and only this needs it.
    from weasyprint import CSS, HTML  # type: ignore[import-untyped]  # no py.typed marker

    return HTML(string=pack_html(pack, now)).write_pdf(stylesheets=[CSS(filename=str(STYLES))])
