"""Accessibility checked by a tool: axe-core (Deque, vendored in tests/vendor/) runs on
every page a browser test opens, and a serious or critical violation fails the test.

``axe_watch(context)`` (called by ``browser.new_context`` in tests/conftest.py) adds
axe to every page of the context as an init script (through the DevTools protocol, so
the site's Content-Security-Policy needs no exception) and runs ``axe.run`` after each
page load; the autouse fixture ``no_accessibility_violations`` asserts at the end of
each test. Moderate and minor findings do not fail a test. ``CHECKED`` lists the
pages checked during the current test (a test can assert that its pages were).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"
FAIL_IMPACTS = ("serious", "critical")
VIOLATIONS: list[str] = []
CHECKED: list[str] = []  # the URLs checked during the current test

# Every rule axe runs by default (WCAG 2.0-2.2 A/AA and best practices); the fixture
# fails on the serious and critical ones.
_RUN = """async () => {
  if (!window.axe) return null;
  const result = await window.axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + (n.failureSummary ? " (" + n.failureSummary.split("\\n").slice(1).join("; ").trim() + ")" : ""))}));
}"""


def axe_watch(context) -> None:
    if os.environ.get("CAIRN_AXE") == "off":  # escape hatch for debugging a test, never in CI
        return
    context.add_init_script(path=str(AXE))
    context.on("page", _watch_page)


def _watch_page(page) -> None:
    page.on("load", axe_check)


def axe_check(page) -> None:
    """axe on the page as it is now: run at each load, and by a test once a script has
    drawn what the load left empty. A page that navigated away or closed meanwhile is
    checked at its next load instead."""
    url = page.url
    if not url.startswith("http"):
        return
    try:
        found = page.evaluate(_RUN)
    except Exception as exc:  # noqa: BLE001 - navigation or close during the run
        if any(s in str(exc) for s in ("destroyed", "closed", "navigation", "Target")):
            return
        raise
    if found is None:
        return
    CHECKED.append(url)
    for violation in found:
        if violation["impact"] in FAIL_IMPACTS:
            VIOLATIONS.append(
                f"{url}: [{violation['impact']}] {violation['id']}: {violation['help']}\n    "
                + "\n    ".join(violation["nodes"])
            )


@pytest.fixture(autouse=True)
def no_accessibility_violations():
    """Every page a browser test loads has no serious or critical axe-core violation."""
    VIOLATIONS.clear()
    CHECKED.clear()
    yield
    unique = list(dict.fromkeys(VIOLATIONS))
    assert not unique, "axe-core accessibility violations:\n" + "\n".join(unique)
