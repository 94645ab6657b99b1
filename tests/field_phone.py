"""A field phone in the browser tests: a 360×640 Chromium context signed in to /field
with a PIN, and screenshots of its screens for a person to look at."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Page, expect
from web_server import PASSWORD, Site, username

PIN = "246810"
PHONE = {"width": 360, "height": 640}
# Where screenshots go: outside the repository, for a person to look at.
SHOTS = Path(os.environ.get("CORRIDOR_SHOTS", "/work/shots"))


def phone(browser: Browser, site: Site) -> tuple[BrowserContext, Page]:
    context = browser.new_context(base_url=site.url, viewport=PHONE, device_scale_factor=1,
                                  is_mobile=True, has_touch=True)
    context.set_default_timeout(15_000)
    return context, context.new_page()


def sign_in(page: Page, role: str) -> None:
    """Online, once: password, then a PIN; ends on the role's home screen."""
    page.goto("/field")
    page.fill("input[name=username]", username(role))
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.fill("input[name=pin]", PIN)
    page.fill("input[name=pin_again]", PIN)
    page.click("form button[type=submit]")
    expect(page.locator("main .screen-head h1")).to_be_visible()


def send_now(page: Page) -> None:
    """Sync now and wait until the bar says everything was sent."""
    page.click(".send-now")
    expect(page.get_by_test_id("bar-summary")).to_have_class("bar-summary bar-ok")


def shot(page: Page, name: str, at: str | None = None) -> Path:
    """The phone's screen as its user sees it, scrolled to `at` (a selector) if given."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    if at:
        page.locator(at).first.scroll_into_view_if_needed()
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
