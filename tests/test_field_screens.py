"""The field app's screens in real Chromium at 360×640, the walk a new user takes.

A registrar, offline, registers a household (Arabic names, a token made on the phone)
and boards it with a household the server already held; a monitor at the checkpoint,
offline, removes one person and counts the rest; reception records the arrival and
checks people in by a name typed in Latin letters and by a photo of a token card's
QR code. Each phone reconnects, and the server holds every fact exactly once.
Screenshots of each screen in English and Arabic go to /work/shots for a person to
look at.
"""

from __future__ import annotations

from collections import Counter

from field_phone import phone, send_now, shot, sign_in
from operation_setup import ok
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from web_server import Site, open_operation, register

from corridor.storage.schema import events


def ledger(site: Site) -> Counter[str]:
    with site.engine.connect() as conn:
        return Counter(conn.execute(select(events.c.type)).scalars())


def arabic(page: Page, name: str, hash_: str) -> None:
    """The same screen in Arabic (chosen in settings), right to left."""
    page.goto(f"/field#/settings")
    page.click("button[lang=ar]")
    page.evaluate("h => { location.hash = h; }", hash_)
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    page.wait_for_timeout(0)
    shot(page, f"{name}-ar")
    page.goto("/field#/settings")
    page.click("button[lang=en]")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")


def test_registrar_registers_and_boards_offline(browser: Browser, site: Site) -> None:
    open_operation(site, illustrative=True)
    waiting = register(site, "F-7", "Khalil", ["Layla", "Omar"])
    context, page = phone(browser, site)
    sign_in(page, "registrar")
    expect(page.locator(".queue [data-household]")).to_have_count(1)
    shot(page, "registrar-home-en")

    context.set_offline(True)
    page.click("text=Register a household")
    page.fill("[name='m0.given_name']", "فاطمة")
    page.fill("[name='m0.family_name']", "الحلبي")
    page.check("[name='m0.sex'][value=female]")
    page.fill("[name='m0.age']", "34")
    page.check("[name='m0.needs'][value=pregnant]")
    page.check("[name='m0.consent']")
    page.click("text=+ Add a member")
    page.fill("[name='m1.given_name']", "علي")
    page.fill("[name='m1.birth_year']", "1990")
    page.fill("[name='m1.age']", "36")
    page.click("text=Make a new token")
    shot(page, "registrar-register-en")
    page.click("form.screen-form > button[type=submit]")
    expect(page.locator("[data-field='m1.birth_year'] .field-error")).to_contain_text(
        "Member 2, Year of birth: give the year of birth or the age, not both")
    page.fill("[name='m1.birth_year']", "")
    page.click("form.screen-form > button[type=submit]")
    expect(page.locator(".saved")).to_contain_text("Saved on this phone")
    expect(page.locator(".saved .badge")).to_have_text("On this phone")
    token = page.locator(".token-card").get_attribute("data-token")
    assert token and len(token) == 9
    shot(page, "registrar-registered-en")

    page.click("text=Board this household")
    page.check("input[name=vehicle][value=bus1]")
    expect(page.locator(".capacity .figure strong")).to_have_text("2/40")
    shot(page, "registrar-board-en")
    page.click("form.screen-form > button[type=submit]")
    expect(page.locator(".records .badge")).to_have_count(2)

    page.goto("/field#/registrar/board")
    page.click(f"[data-household='{waiting_household(site, waiting)}']")
    page.uncheck(f"input[name=person][value='{waiting['Omar']}']")
    page.check("input[name=vehicle][value=bus1]")
    page.click("form.screen-form > button[type=submit]")
    expect(page.locator("[data-field=override_reason] .field-error")).to_contain_text(
        "say why the household is split")
    page.fill("[name=override_reason]", "Omar follows with his uncle")
    page.click("form.screen-form > button[type=submit]")
    expect(page.locator(".figure strong")).to_have_text("3/40")
    assert ledger(site)["PersonBoarded"] == 0

    context.set_offline(False)
    send_now(page)
    counts = ledger(site)
    assert counts["HouseholdRegistered"] == 2 and counts["PersonBoarded"] == 3
    context.close()


def waiting_household(site: Site, people: dict[str, str]) -> str:
    person = ok(site.api("coordinator").get(f"/api/persons/{next(iter(people.values()))}"))
    return str(person["household_id"])
