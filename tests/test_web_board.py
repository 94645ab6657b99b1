"""The convoy board and the convoy page in a real headless Chromium: the page refreshes
itself while watched, the phone's header folds its menu, and screenshots at desktop
and phone size in English and Arabic (written to CORRIDOR_SHOTS, if set, to look at)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from web_server import Site, journey, ok, register, sign_in

from corridor.web import convoys

browser_test = pytest.mark.browser
SHOTS = os.environ.get("CORRIDOR_SHOTS")


def scene(site: Site) -> None:
    """The journey, and a second convoy held at the gathering point with one bus over
    its seats (a boarding recorded with a reason)."""
    journey(site)
    people = register(site, "F-4", "Saleh", ["Aya", "Sami"])
    co, registrar = site.api("coordinator"), site.api("registrar")
    ok(co.post("/api/vehicles", json={"vehicle_id": "van", "kind": "ambulance",
                                      "label": "Ambulance 7", "capacity": 1}), 201)
    ok(co.post("/api/convoys", json={"convoy_id": "c2", "label": "Convoy 2", "route_id": "r1",
                                     "vehicle_ids": ["bus3", "van"]}), 201)
    ok(registrar.post("/api/vehicles/van/boarding", json={
        "person_ids": [people["Aya"]], "override_reason": "wounded"}))
    ok(registrar.post("/api/vehicles/van/boarding", json={
        "person_ids": [people["Sami"]], "override_reason": "her son"}))
    ok(co.post("/api/convoys/c2/departure"))
    ok(co.post("/api/convoys/c2/hold", json={"reason": "Road closed by shelling",
                                             "location_id": "cp1"}))


def shoot(page: Page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


@browser_test
def test_the_board_and_the_convoy_page_show_a_headcount_without_a_reload(
        page: Page, site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(convoys, "REFRESH_SECONDS", 1)
    journey(site)
    monitor = site.api("checkpoint_monitor")
    sign_in(page, "coordinator")
    page.goto("/convoys")
    bus2 = page.locator("[data-convoy=c1] [data-vehicle=bus2]")
    expect(bus2.locator("[data-last-count]")).to_contain_text("Last count: 3 at Salah al-Din")
    page.evaluate("window.notReloaded = true")

    ok(monitor.post("/api/vehicles/bus2/passages", json={"checkpoint_id": "cp2",
                                                         "headcount": 2}))
    expect(bus2.locator("[data-last-count]")).to_contain_text("Last count: 2 at Ramouseh")
    expect(bus2.locator("[data-mismatch]")).to_have_text(
        "⚠ Headcount mismatch at Ramouseh: counted 2, expected 3")
    expect(page.locator("[data-convoy=c1] .stop[data-location=cp2] [data-vehicle=bus2]")) \
        .to_be_visible()
    assert page.evaluate("window.notReloaded") is True

    page.goto("/convoys/c1")
    page.evaluate("window.notReloaded = true")
    ok(monitor.post("/api/vehicles/bus2/passages", json={"checkpoint_id": "cp2",
                                                         "headcount": 3}))
    expect(page.locator("[data-location=cp2] [data-counted=bus2]")).to_contain_text(
        "counted 3, expected 3")
    expect(page.locator("[data-trips] [data-vehicle=bus2] [data-mismatch]")).to_have_count(0)
    assert page.evaluate("window.notReloaded") is True


# Counts the page's fetches, in the page, as they are made.
COUNT_FETCHES = """window.asked = 0; const fetched = window.fetch;
window.fetch = (...args) => { window.asked += 1; return fetched(...args); };"""
SHOW = """state => { Object.defineProperty(document, "visibilityState",
    {value: state, configurable: true}); document.dispatchEvent(new Event("visibilitychange")); }"""


@browser_test
def test_a_hidden_tab_asks_nothing_and_asks_at_once_when_shown_again(
        page: Page, site: Site) -> None:
    journey(site)
    sign_in(page, "coordinator")
    page.clock.install()
    page.add_init_script(COUNT_FETCHES)
    page.goto("/convoys")
    expect(page.locator("[data-live]")).to_have_attribute("data-refresh", "10")
    with page.expect_response(lambda r: "part=live" in r.url) as answer:
        page.clock.run_for(10_500)
    assert answer.value.status == 204  # nothing recorded since the page was drawn
    assert page.evaluate("window.asked") == 1

    page.evaluate(SHOW, "hidden")
    page.clock.run_for(600_000)  # ten minutes in a hidden tab
    assert page.evaluate("window.asked") == 1
    page.evaluate(SHOW, "visible")
    assert page.evaluate("window.asked") == 2  # at once, not after the next 10 s

    when = page.locator("[data-live]").get_attribute("data-since")
    page.goto(f"/convoys?as_of={int(when or 0) - 1}")  # an earlier moment never changes
    expect(page.locator("[data-live]")).not_to_have_attribute("data-live-url", re.compile("."))
    expect(page.locator("script[src='/static/live.js']")).to_have_count(0)


@browser_test
def test_over_capacity_stands_out_in_words_and_shape_not_colour_alone(
        page: Page, site: Site) -> None:
    scene(site)
    sign_in(page, "coordinator")
    page.goto("/convoys")
    # Active first: the held convoy, then the departed one.
    expect(page.locator("section.convoy")).to_have_count(2)
    expect(page.locator("section.convoy").first).to_have_attribute("data-convoy", "c2")
    van = page.locator("[data-vehicle=van]")
    expect(van).to_have_class(re.compile(r"\bover-capacity\b"))
    expect(van.locator("[data-over-capacity]")).to_have_text("⚠ Over capacity: 2 of 1")
    assert van.locator("a").evaluate("e => getComputedStyle(e).borderStyle") == "double"
    expect(page.locator("[data-convoy=c2] [data-reason]")).to_contain_text("Salah al-Din")

    page.locator("[data-convoy=c2] h2 a").click()
    expect(page).to_have_url(re.compile(r"/convoys/c2$"))
    expect(page.locator("[data-actions] a")).to_have_text(["Release", "Turn back"])
    expect(page.locator("[data-history] li")).to_have_count(3)  # planned, departed, held
    expect(page.locator("[data-history] li").last).to_contain_text("Road closed by shelling")
    page.locator("[data-trips] [data-vehicle=van] a").click()
    expect(page).to_have_url(re.compile(r"/vehicles/van/manifest\?convoy=c2$"))
    expect(page.locator("[data-manifest] tbody tr")).to_have_count(2)


@pytest.mark.parametrize("lang", ["en", "ar"])
@browser_test
def test_on_a_phone_the_header_folds_its_menu(page: Page, site: Site, lang: str) -> None:
    scene(site)
    sign_in(page, "coordinator")
    page.set_viewport_size({"width": 360, "height": 640})
    page.goto(f"/convoys?lang={lang}")
    header = page.locator("header.top").bounding_box()
    assert header is not None and header["height"] < 120, header
    nav = page.locator("header.top nav")
    expect(nav).to_be_hidden()
    shoot(page, f"board-phone-{lang}")
    page.locator(".menu-button").click()
    expect(nav).to_be_visible()
    page.locator("nav a[href='/alerts']").click()
    expect(page).to_have_url(re.compile(r"/alerts$"))
    expect(page.locator("header.top nav")).to_be_hidden()  # folded again on the next page

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/convoys")
    expect(page.locator("header.top nav")).to_be_visible()  # wide screens: always shown
    expect(page.locator(".menu-button")).to_be_hidden()


@pytest.mark.parametrize("lang", ["en", "ar"])
@browser_test
def test_screenshots_of_the_board_the_convoy_page_and_a_trip_manifest(
        page: Page, site: Site, lang: str) -> None:
    scene(site)
    sign_in(page, "coordinator")
    for width, height, size in ((1280, 900, "desktop"), (360, 640, "phone")):
        page.set_viewport_size({"width": width, "height": height})
        for path, name in ((f"/convoys?lang={lang}", "board"), ("/convoys/c1", "convoy"),
                           ("/vehicles/bus1/manifest?convoy=c1", "manifest")):
            page.goto(path)
            expect(page.locator("main h1")).to_be_visible()
            # Nothing wider than the screen but the route's own scrolling list.
            overflow = page.evaluate("document.documentElement.scrollWidth")
            assert overflow <= width, (path, size, overflow)
            shoot(page, f"{name}-{size}-{lang}")
