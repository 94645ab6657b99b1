"""A field phone for the screens' tests: a 360×640 Chromium context signed in to
/field as a role (field_app.Phone drives it), and screenshots of its screens for a
person to look at."""

from __future__ import annotations

import os
from pathlib import Path

from field_app import Phone
from playwright.sync_api import Browser, Page, expect
from web_server import PASSWORD, Site, username

# Where screenshots go: outside the repository, for a person to look at.
SHOTS = Path(os.environ.get("CORRIDOR_SHOTS", "/work/shots"))


def phone(browser: Browser, site: Site, role: str) -> Phone:
    """A phone-sized browser signed in as `role`, on the role's home screen."""
    context = browser.new_context(base_url=site.url, viewport={"width": 360, "height": 640},
                                  is_mobile=True, has_touch=True)
    context.set_default_timeout(15_000)
    device = Phone(context, context.new_page())
    device.open()
    device.sign_in(username(role), PASSWORD)
    expect(device.page.locator("main .screen-head h1")).to_be_visible()
    return device


def all_sent(device: Phone) -> None:
    """Send now; the bar then says everything was sent."""
    device.send_now()
    expect(device.page.get_by_test_id("bar-summary")).to_have_class("bar-summary bar-ok")


def shot(page: Page, name: str, at: str | None = None) -> Path:
    """The phone's screen as its user sees it, scrolled to `at` (a selector) if given."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    if at:
        page.locator(at).first.evaluate("e => e.scrollIntoView({block: 'center'})")
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
