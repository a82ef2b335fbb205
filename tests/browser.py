"""A real headless Chromium for the browser journeys, and people who use it.

conftest.py registers its fixtures (``browser``, ``people``); a journey module names its screenshots with a module constant
``SCREENSHOT_PREFIX``, so that each journey's files in test-artifacts/ keep
apart: ``<prefix>-<step>-<name>.png``.
"""

import os
import shutil
from pathlib import Path

import pytest
from django.db import connections

from .builders import PASSWORD, missing_tool

CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
# Flags for a sandboxed machine without a network: no background calls home, no GPU.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


# Module scope: one Chromium per journey module, started and stopped in turn, so that a crash in one
# module's browser cannot take the next module's journeys with it.
@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM}: install Debian's chromium package (or set CHROMIUM)."
        missing_tool(message)
    # Playwright's sync API runs an event loop in this thread; the ORM calls in the test are still synchronous.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    # Playwright's event loop gives the ORM another context and so another connection; the one
    # left behind would keep PostgreSQL from dropping the test database. Close them on both sides.
    connections.close_all()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        connections.close_all()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE")


class Journey(list):
    """The screenshots taken so far in one test, numbered in order under one prefix."""

    def __init__(self, prefix):
        super().__init__()
        self.prefix = prefix


# WCAG 2.0 and 2.1, levels A and AA: what the Swedish accessibility law (DOS-lagen) requires.
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}


def axe_violations(page):
    """axe-core (shipped inside the axe-playwright-python package, never fetched) run on the page as it is now."""
    from axe_playwright_python.base import AXE_SCRIPT

    page.evaluate(AXE_SCRIPT)
    result = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} – "
        + ", ".join(str(node["target"]) for node in violation["nodes"][:5])
        for violation in result["violations"]
    ]


def assert_accessible(page):
    # A click that navigates returns once the new page starts loading; axe must wait for its style sheets, or
    # it measures Bootstrap's grey before samrad.css darkens it (a contrast failure seen once in CI).
    page.wait_for_load_state("load")
    violations = axe_violations(page)
    assert not violations, f"axe on {page.url}:\n" + "\n".join(violations)


class Person:
    """One user in their own browser context, as if at their own desk.

    Every page they go to and every step they take a screenshot of is checked
    with axe-core: a WCAG 2.1 A or AA violation fails the test.
    """

    def __init__(self, browser, live_server, username, journey, language="sv-SE"):
        self.context = browser.new_context(locale=language, accept_downloads=True)
        self.page = self.context.new_page()
        self.base = live_server.url
        self.username = username
        self.journey = journey
        self.page.goto(f"{self.base}/login/")
        assert_accessible(self.page)
        if username is not None:  # else a visitor, left on the login page
            self.log_in(username)

    def log_in(self, username, password=PASSWORD):
        """On the login page: log in, and wait for "Mina möten"."""
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", password)
        self.page.click("main button[type=submit]")
        self.page.wait_for_url(f"{self.base}/")

    def go(self, path):
        self.page.goto(f"{self.base}{path}")
        assert_accessible(self.page)

    def check(self):
        assert_accessible(self.page)

    def shot(self, name):
        assert_accessible(self.page)
        ARTIFACTS.mkdir(exist_ok=True)
        self.journey.append(name)
        path = ARTIFACTS / f"{self.journey.prefix}-{len(self.journey):02d}-{name}.png"
        self.page.screenshot(path=path, full_page=True)

    def close(self):
        self.context.close()


@pytest.fixture
def people(request, browser, live_server):
    """``people(user)`` logs the user in, in a browser context of their own; ``people(None)`` is a visitor on the
    login page. All are closed afterwards."""
    opened = []
    journey = Journey(request.module.SCREENSHOT_PREFIX)

    def open_as(user, language="sv-SE"):
        person = Person(browser, live_server, user.username if user else None, journey, language)
        opened.append(person)
        return person

    yield open_as
    for person in opened:
        person.close()
