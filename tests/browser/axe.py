"""axe-core in the browser tests: run it on the page as it stands and fail on any violation.

axe-core's script comes bundled in the `axe-playwright-python` package (nothing is fetched at run time); it is
added by Playwright's `evaluate`, which the page's Content-Security-Policy does not govern.
"""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

AXE = Axe()
# WCAG 2.0, 2.1 and 2.2 at levels A and AA, and axe's best practices; with them the rule for WCAG 2.5.3 (a
# control's accessible name contains its visible label), which axe-core still tags experimental and leaves out.
RULES = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]},
    "rules": {"label-content-name-mismatch": {"enabled": True}},
    "resultTypes": ["violations"],
}


def violations(page: Page) -> list[str]:
    """One line per element axe-core finds at fault on the current page: rule, impact, target and help."""
    found = AXE.run(page, options=RULES).response["violations"]
    return [f"{v['id']} ({v['impact']}) {', '.join(map(str, node['target']))}: {v['help']}"
            + (f" [{node.get('failureSummary', '').splitlines()[-1].strip()}]" if node.get("failureSummary") else "")
            for v in found for node in v["nodes"]]


def assert_accessible(page: Page, where: str = "") -> None:
    """Fail, listing every violation, unless axe-core finds none on the page."""
    found = violations(page)
    if found:
        pytest.fail(f"axe-core: {len(found)} violation(s) on {where or page.url}:\n" + "\n".join(found),
                    pytrace=False)
