"""The web UI in a real headless Chromium (Debian's /usr/bin/chromium) over real HTTP.

Never downloads a browser: where /usr/bin/chromium is missing the browser tests are
skipped, unless CORRIDOR_REQUIRE_BROWSER=1 (as CI sets it), where they fail.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from operation_setup import ok
from playwright.sync_api import Page, expect
from sqlalchemy import select
from web_server import (
    EXPECTED,
    PASSWORD,
    Site,
    journey,
    open_operation,
    register,
    sign_in,
)

from corridor.server import create_app
from corridor.services.views import dashboard
from corridor.storage.database import connect, initialise
from corridor.storage.schema import persons

browser_test = pytest.mark.browser


def status_counts(page: Page) -> dict[str, str]:
    cards = page.locator(".tally [data-status]")
    return {cards.nth(i).get_attribute("data-status") or "": cards.nth(i).locator(".n")
            .inner_text() for i in range(cards.count())}


# --- signing in ------------------------------------------------------------------------


@browser_test
def test_wrong_password_is_refused_and_the_right_one_opens_the_dashboard(
        page: Page, site: Site) -> None:
    open_operation(site, illustrative=False)
    page.goto("/alerts")
    expect(page).to_have_url(re.compile(r"/login$"))  # not signed in: to the login form

    page.fill("#username", "coordinator")
    page.fill("#password", "not the password")
    with page.expect_response(lambda r: r.url.endswith("/login") and
                              r.request.method == "POST") as answer:
        page.click("form[action='/login'] button[type=submit]")
    assert answer.value.status == 401
    expect(page.locator("[data-error]")).to_have_text("Wrong username or password.")
    expect(page.locator("#username")).to_have_value("coordinator")

    page.fill("#password", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    expect(page.locator("h1")).to_have_text("Overview")
    expect(page.locator(".brand .operation")).to_have_text("Aleppo evacuation")
    expect(page.locator("[data-illustrative]")).to_have_count(0)  # a real operation

    page.click("form[action='/logout'] button")
    expect(page).to_have_url(re.compile(r"/login$"))
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login$"))


@browser_test
def test_every_page_names_an_icon_the_server_has(page: Page, site: Site) -> None:
    """Without one the browser asks for /favicon.ico: a 404 in the console of every page."""
    page.goto("/login")
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert icon is not None
    answer = page.request.get(icon)
    assert answer.status == 200 and answer.headers["content-type"] == "image/png"


# --- dashboard -----------------------------------------------------------------------------


@browser_test
def test_dashboard_counts_add_up_and_an_illustrative_operation_says_so(
        page: Page, site: Site) -> None:
    journey(site, illustrative=True)
    sign_in(page, "coordinator")
    banner = page.locator("[data-illustrative]")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("ILLUSTRATIVE — generated people, no real persons")

    counts = {status: int(n) for status, n in status_counts(page).items()}
    assert counts == EXPECTED
    total = int(page.locator("[data-status=registered] .n").inner_text())
    assert total == sum(counts.values()) == 9
    expect(page.locator("[data-status=unaccounted]")).to_have_class(re.compile(r"\bloud\b"))
    expect(page.locator("[data-sum]")).to_contain_text("= 9")
    expect(page.locator("[data-need=elderly] td").last).to_have_text("3")  # row total

    expect(page.locator("[data-open-alerts]")).to_have_text("2")
    page.click(".alerts-summary a")
    expect(page).to_have_url(re.compile(r"/alerts$"))


@browser_test
@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_movements_table_caption_stays_on_a_phone_screen(
        page: Page, site: Site, lang: str) -> None:
    journey(site)
    sign_in(page, "coordinator")
    page.set_viewport_size({"width": 360, "height": 640})
    page.goto(f"/?lang={lang}")
    table = page.locator("[data-movements]").bounding_box()
    box = page.locator("[data-movements] caption").bounding_box()
    assert table is not None and table["width"] > 360  # wider than the phone: it scrolls
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360


@browser_test
def test_arabic_is_right_to_left_with_arabic_labels_and_is_remembered(
        page: Page, site: Site) -> None:
    journey(site, illustrative=True)
    sign_in(page, "coordinator")
    page.goto("/?lang=ar")
    html = page.locator("html")
    expect(html).to_have_attribute("dir", "rtl")
    expect(html).to_have_attribute("lang", "ar")
    expect(page.locator("h1")).to_have_text("نظرة عامة")
    expect(page.locator("[data-status=waiting] .label")).to_have_text("في الانتظار")
    expect(page.locator("[data-status=unaccounted] .label")).to_have_text("مجهول المكان")
    expect(page.locator("nav")).to_contain_text("القوافل")
    expect(page.locator("[data-illustrative]")).to_contain_text("للتوضيح فقط")
    # Mirrored: the brand sits at the right, the first status card right of the second
    # (after the unaccounted, which spans the row).
    brand, tools = page.locator(".brand").bounding_box(), page.locator(".tools").bounding_box()
    assert brand and tools and brand["x"] > tools["x"]
    first, second = (page.locator(".tally li").nth(i).bounding_box() for i in (1, 2))
    assert first and second and first["x"] > second["x"]
    page.screenshot(path="/tmp/corridor-dashboard-ar.png", full_page=True)

    page.goto("/convoys")  # no ?lang: the session remembers
    expect(html).to_have_attribute("dir", "rtl")
    expect(page.locator("[data-vehicle=bus2] .chip-count")).to_have_text("على المتن: 3 من 40")
    page.goto("/convoys?lang=en")
    expect(html).to_have_attribute("dir", "ltr")
    expect(page.locator("h1")).to_have_text("Convoy board")


# --- registration ------------------------------------------------------------------------------


@browser_test
def test_registering_a_household_through_the_form(page: Page, site: Site) -> None:
    journey(site)
    sign_in(page, "registrar")
    before = {status: int(n) for status, n in status_counts(page).items()}

    page.click("nav >> text=Register a household")
    expect(page.locator("#gathering_point_id")).to_have_value("gp")  # the only one: chosen
    page.fill("#token", "F-77")
    page.fill("[name='m0.given_name']", "<i>Amal</i>")
    page.fill("[name='m0.father_name']", "Omar")
    page.fill("[name='m0.family_name']", "Saleh")
    page.check("[name='m0.sex'][value=female]")
    page.fill("[name='m0.birth_year']", "1990")
    page.check("[name='m0.needs'][value=pregnant]")
    page.check("[name='m0.consent']")
    page.select_option("[name='m0.destination_id']", "hosp")
    page.click("button[value=add]")
    expect(page.locator("[name='m0.given_name']")).to_have_value("<i>Amal</i>")  # kept
    expect(page.locator("[name='m0.needs'][value=pregnant]")).to_be_checked()
    page.fill("[name='m1.given_name']", "سامي")
    page.fill("[name='m1.family_name']", "صالح")
    page.fill("[name='m1.age']", "7")
    page.click("button[value=register]")

    confirmation = page.locator("[data-registered]")
    expect(confirmation.locator("[data-token]")).to_have_text("F-77")
    expect(confirmation).to_contain_text("<i>Amal</i> Omar Saleh")  # escaped, shown as typed
    expect(confirmation.locator("i")).to_have_count(0)
    expect(confirmation).to_contain_text("سامي صالح")
    household_id = confirmation.get_attribute("data-registered")
    with site.engine.connect() as conn:
        rows = conn.execute(select(persons.c.status, persons.c.birth_year_estimated)
                            .where(persons.c.household_id == household_id)).all()
    assert sorted(rows) == [("waiting", False), ("waiting", True)]
    assert "web: view household" in site.audited("registrar")

    page.click("nav >> text=Overview")
    after = {status: int(n) for status, n in status_counts(page).items()}
    assert after == {**before, "waiting": before["waiting"] + 2}
    expect(page.locator("[data-status=registered] .n")).to_have_text("11")


@browser_test
def test_a_bad_registration_shows_the_field_error_and_records_nothing(
        page: Page, site: Site) -> None:
    journey(site)
    sign_in(page, "registrar")
    recorded = site.event_count()
    page.goto("/register")
    page.fill("#token", "F-1")  # already issued to the Haddad family
    page.fill("[name='m0.family_name']", "Saleh")  # no given name
    page.fill("[name='m0.birth_year']", "1990")
    with page.expect_response(lambda r: r.url.endswith("/register") and
                              r.request.method == "POST") as answer:
        page.click("button[value=register]")
    assert answer.value.status == 422
    field = page.locator("[name='m0.given_name']")
    expect(field).to_have_attribute("aria-invalid", "true")
    error = page.locator("[data-error-for='m0.given_name']")
    expect(error).to_have_text("Required.")
    assert field.get_attribute("aria-describedby") == error.get_attribute("id")
    expect(page.locator("[name='m0.family_name']")).to_have_value("Saleh")
    expect(page.locator("#token")).to_have_value("F-1")
    assert site.event_count() == recorded

    page.fill("[name='m0.given_name']", "Amal")  # now the token is the only problem
    page.click("button[value=register]")
    expect(page.locator("[data-error-for=token]")).to_have_text(
        "This token already belongs to another household.")
    expect(page.locator("[data-error-for='m0.given_name']")).to_have_count(0)
    assert site.event_count() == recorded


# --- convoy board ------------------------------------------------------------------------------


@browser_test
def test_the_convoy_board_places_each_vehicle_at_the_stop_it_last_passed(
        page: Page, site: Site) -> None:
    journey(site)
    co = site.api("coordinator")
    co.post("/api/convoys", json={"convoy_id": "c2", "label": "Convoy 2", "route_id": "r1",
                                  "vehicle_ids": ["bus3"]}).raise_for_status()
    co.post("/api/convoys/c2/hold", json={"reason": "Road closed by shelling",
                                          "location_id": "gp"}).raise_for_status()
    sign_in(page, "coordinator")
    page.click("nav >> text=Convoys")

    convoy = page.locator("[data-convoy=c1]")
    expect(convoy.locator("[data-state]")).to_have_text("Departed")
    bus2 = convoy.locator("[data-vehicle=bus2]")
    stop = convoy.locator(".stop", has=page.locator("[data-vehicle=bus2]"))
    expect(stop).to_have_attribute("data-location", "cp1")
    expect(stop).to_have_attribute("data-stop-index", "1")
    expect(stop.locator(".stop-name")).to_contain_text("Salah al-Din")
    expect(bus2).to_contain_text("On board: 3 of 40")
    expect(bus2.locator("[data-last-count]")).to_contain_text("Last count: 3 at Salah al-Din")
    expect(bus2).not_to_have_class(re.compile(r"\balerted\b"))
    bus1 = convoy.locator("[data-vehicle=bus1]")
    expect(convoy.locator(".stop", has=page.locator("[data-vehicle=bus1]"))).to_have_attribute(
        "data-location", "rc")
    expect(bus1).to_have_class(re.compile(r"\balerted\b"))  # Karim is not checked in
    expect(bus1).to_contain_text("Arrived at Atareb: 2 of 3 checked in")  # not "on board 0"
    expect(bus1).to_contain_text("Open alerts: 2")
    assert bus1.locator("a").evaluate("e => getComputedStyle(e).backgroundColor") == \
        "rgb(176, 0, 32)"
    expect(convoy.locator(".stop")).to_have_count(4)

    held = page.locator("[data-convoy=c2]")
    expect(held.locator("[data-state]")).to_have_text("Held")
    expect(held.locator("[data-reason]")).to_contain_text("Road closed by shelling")
    expect(held.locator(".stop", has=page.locator("[data-vehicle=bus3]"))).to_have_attribute(
        "data-stop-index", "0")
    page.screenshot(path="/tmp/corridor-convoys.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path="/tmp/corridor-convoys-phone.png", full_page=True)

    bus2.locator("a").click()
    expect(page).to_have_url(re.compile(r"/vehicles/bus2/manifest\?convoy=c1$"))


# --- alerts ------------------------------------------------------------------------------------


@browser_test
def test_alerts_name_the_unaccounted_and_a_coordinator_resolves_one(
        page: Page, site: Site) -> None:
    journey(site)
    sign_in(page, "coordinator")
    page.goto("/alerts")
    missing = page.locator("[data-unaccounted] tbody tr")
    expect(missing).to_have_count(1)
    expect(missing).to_contain_text("Karim Haddad")
    expect(missing).to_contain_text("F-1")
    expect(missing).to_contain_text("Bus 1")
    expect(missing).to_contain_text("Atareb")
    not_checked_in = page.locator(".alert-card.kind-not_checked_in")
    expect(not_checked_in.locator(".names")).to_have_text("Karim Haddad")
    assert "web: view alerts" in site.audited("coordinator")

    short = page.locator(".alert-card.kind-headcount_short")
    expect(short).to_contain_text("Salah al-Din")
    alert_id = short.get_attribute("data-alert")
    short.locator("a.button").click()
    expect(page.locator("h1 [data-state]")).to_have_text("Open")
    note = page.locator("form[data-form=note]")
    # An empty note is refused by the server too, not only by the browser.
    note.locator("textarea").evaluate("e => e.removeAttribute('required')")
    note.locator("button").click()
    expect(note.locator(".field-error")).to_have_text(
        "Write a note saying why the alert is closed.")

    note.locator("textarea").fill("Recounted at the crossing: all four aboard")
    note.locator("button").click()
    expect(page.locator("h1 [data-state]")).to_have_text("Resolved by a note only")
    expect(page.locator("[data-note]")).to_contain_text("coordinator")
    page.goto("/alerts")
    expect(page.locator(".alert-card")).to_have_count(1)
    expect(page.locator(f".alert-card[data-alert='{alert_id}']")).to_have_count(0)
    resolved = page.locator(f"[data-closed] tr[data-alert='{alert_id}']")
    expect(resolved).to_contain_text("Recounted at the crossing: all four aboard")
    expect(resolved.locator("[data-state]")).to_have_text("Resolved by a note only")
    # The crossing's gap was explained by the removal recorded there, and says so.
    explained = page.locator("[data-closed] tr.state-explained")
    expect(explained.locator("[data-state]")).to_have_text("Explained")
    expect(explained.locator("[data-explained-by]")).to_have_text("1 removal at Ramouseh")


@browser_test
def test_an_unaccounted_person_without_a_token_shows_no_internal_id(
        page: Page, site: Site) -> None:
    open_operation(site, illustrative=False)
    co = site.api("coordinator")
    household = ok(co.post("/api/households", json={
        "gathering_point_id": "gp", "members": [{"given_name": "Sami", "consent": True}]}), 201)
    ok(co.post("/api/vehicles/bus1/boarding", json={"person_ids": household["person_ids"]}))
    ok(co.post("/api/convoys/c1/departure"))
    ok(co.post("/api/vehicles/bus1/arrival", json={"location_id": "rc"}))
    sign_in(page, "coordinator")
    page.goto("/alerts")
    row = page.locator("[data-unaccounted] tbody tr")
    expect(row).to_contain_text("Sami")
    expect(row.locator("td").nth(1)).to_have_text("—")  # the household's token: none


@browser_test
def test_a_not_checked_in_alert_is_explained_by_the_check_in_recorded_from_it(
        page: Page, site: Site) -> None:
    people = journey(site)
    sign_in(page, "coordinator")
    unaccounted = int(page.locator("[data-status=unaccounted] .n").inner_text())
    page.goto("/alerts")
    page.locator(".alert-card.kind-not_checked_in a.button").click()
    karim = page.locator(f"[data-person='{people['Karim']}']")
    expect(karim).to_contain_text("Karim Haddad")
    expect(karim).to_contain_text("Unaccounted")
    check_in = karim.locator("form[data-form=check-in]")
    expect(check_in.locator("select")).to_have_value("rc")  # where the vehicle arrived
    check_in.locator("button").click()

    expect(page.locator("h1 [data-state]")).to_have_text("Explained")
    explained = page.locator("[data-explained] [data-explained-by] li")
    expect(explained).to_have_text(["3 check-ins at Atareb", "1 removal at Ramouseh"])
    facts = page.locator("[data-facts] tbody tr")
    expect(facts).to_have_count(4)  # Huda's removal on the way accounts for her
    expect(facts.filter(has_text="Karim Haddad")).to_contain_text("Check-in")
    expect(page.locator("form[data-form]")).to_have_count(0)  # nothing left to record
    assert site.api("coordinator").get(f"/api/persons/{people['Karim']}").json()[
        "status"] == "arrived"
    page.goto("/")
    expect(page.locator("[data-status=unaccounted] .n")).to_have_text(str(unaccounted - 1))

    # As of the moment before the check-in: open again, read-only.
    head = site.api("admin").get("/api/sync/pull", params={"limit": 1}).json()["head_seq"]
    page.goto(f"/alerts/not_checked_in:c1:bus1?as_of={head - 1}")  # the check-in was last
    expect(page.locator("[data-as-of]")).to_be_visible()
    expect(page.locator("h1 [data-state]")).to_have_text("Open")
    expect(page.locator("form[data-form]")).to_have_count(0)


@browser_test
def test_a_short_headcount_is_explained_by_a_recount_after_an_error_beside_the_field(
        page: Page, site: Site) -> None:
    journey(site)
    sign_in(page, "coordinator")
    page.goto("/alerts/headcount:c1:bus1:cp1?lang=ar")
    recount = page.locator("form[data-form=recount]")
    recount.locator("input[name=headcount]").fill("أربعة")
    recount.locator("button").click()
    expect(recount.locator("#recount-n")).to_have_attribute("aria-invalid", "true")
    expect(recount.locator(".field-error")).to_be_visible()
    page.goto("/alerts/headcount:c1:bus1:cp1?lang=en")
    recount = page.locator("form[data-form=recount]")
    recount.locator("input[name=headcount]").fill("4")
    recount.locator("button").click()
    expect(page.locator("h1 [data-state]")).to_have_text("Explained")
    expect(page.locator("[data-explained-by] li")).to_have_text(["a recount at Salah al-Din"])
    expect(page.locator("[data-facts] tbody tr")).to_contain_text("Recount")


@browser_test
def test_a_not_checked_in_alert_is_explained_by_the_removal_now_known(
        page: Page, site: Site) -> None:
    people = journey(site)
    sign_in(page, "coordinator")
    page.goto("/alerts/not_checked_in:c1:bus1")
    karim = page.locator(f"[data-person='{people['Karim']}']")
    karim.locator("summary").click()
    removal = karim.locator("form[data-form=removal]")
    removal.locator("select[name=checkpoint_id]").select_option("cp1")
    removal.locator("select[name=reason]").select_option("detained")
    removal.locator("input[name=removed_by]").fill("x" * 3000)  # too long: beside the field
    removal.locator("button").click()
    karim = page.locator(f"[data-person='{people['Karim']}']")
    expect(karim.locator("details")).to_have_attribute("open", "")
    expect(karim.locator("input[name=removed_by]")).to_have_attribute("aria-invalid", "true")
    expect(karim.locator(".field-error")).to_have_count(1)
    expect(karim.locator("select[name=checkpoint_id]")).to_have_value("cp1")  # kept
    karim.locator("input[name=removed_by]").fill("militia")
    karim.locator("button", has_text="Record a removal").click()

    expect(page.locator("h1 [data-state]")).to_have_text("Explained")
    expect(page.locator("[data-explained] [data-explained-by] li")).to_have_text(
        ["2 check-ins at Atareb", "1 removal at Salah al-Din", "1 removal at Ramouseh"])
    removed = site.api("coordinator").get(f"/api/persons/{people['Karim']}").json()
    assert (removed["status"], removed["location_id"], removed["removed_by"]) == (
        "removed", "cp1", "militia")


@browser_test
def test_over_capacity_recorded_offline_is_explained_by_taking_someone_off(
        page: Page, site: Site) -> None:
    open_operation(site, illustrative=False)
    co, registrar = site.api("coordinator"), site.api("registrar")
    co.post("/api/vehicles", json={"vehicle_id": "car1", "kind": "private_car",
                                   "label": "Car 1", "capacity": 1}).raise_for_status()
    co.post("/api/convoys", json={"convoy_id": "c9", "label": "Convoy 9", "route_id": "r1",
                                  "vehicle_ids": ["car1"]}).raise_for_status()
    people = register(site, "F-9", "Saleh", ["Rana", "Samir"])
    # Two boardings onto one seat, recorded on a phone offline: an alert, not a refusal.
    boardings = [{"id": str(uuid.uuid4()), "type": "PersonBoarded",
                  "payload": {"person_id": person_id, "vehicle_id": "car1"},
                  "device_id": "registrar-test", "author": "registrar",
                  "recorded_at": datetime.now(UTC).isoformat()} for person_id in people.values()]
    pushed = registrar.post("/api/sync/push", json={"events": boardings})
    assert pushed.status_code == 200, pushed.text
    sign_in(page, "coordinator")
    page.goto("/alerts")
    page.locator(".alert-card.kind-over_capacity a.button").click()
    off = page.locator("form[data-form=disembark]")
    off.locator("select[name=person_id]").select_option(people["Samir"])
    off.locator("input[name=reason]").fill("goes with the next car")
    off.locator("button").click()
    expect(page.locator("h1 [data-state]")).to_have_text("Explained")
    expect(page.locator("[data-explained-by] li")).to_have_text(["1 got off before departure"])
    assert site.api("coordinator").get(f"/api/persons/{people['Samir']}").json()[
        "status"] == "waiting"


@browser_test
def test_only_coordinators_get_the_resolve_form(page: Page, site: Site) -> None:
    journey(site)
    sign_in(page, "tracing_officer")
    page.goto("/alerts")
    expect(page.locator(".alert-card")).to_have_count(2)
    page.locator(".alert-card a.button").first.click()
    expect(page.locator("form[data-form]")).to_have_count(0)
    expect(page.locator("nav a[href='/register']")).to_have_count(0)


@browser_test
def test_field_roles_find_the_field_app_in_the_menu(page: Page, site: Site) -> None:
    sign_in(page, "checkpoint_monitor")
    page.click("nav a[href='/field']")
    expect(page).to_have_url(re.compile(r"/field$"))
    expect(page.locator("input[name=username]")).to_be_visible()  # the app's own sign-in
    page.context.clear_cookies()  # another person signs in on this browser
    sign_in(page, "coordinator")
    expect(page.locator("nav a[href='/field']")).to_have_count(0)


# --- manifest -----------------------------------------------------------------------------------


@browser_test
def test_the_manifest_lists_who_is_on_board_and_prints_on_paper(page: Page, site: Site) -> None:
    journey(site, illustrative=True)
    sign_in(page, "checkpoint_monitor")
    page.goto("/vehicles/bus2/manifest")
    rows = page.locator("[data-manifest] tbody tr")
    expect(rows).to_have_count(3)
    for name in ("Layla", "Omar", "Nour"):
        expect(page.locator("[data-manifest]")).to_contain_text(name)
    expect(rows.first).to_contain_text("F-2")
    expect(rows.first).not_to_contain_text("On a vehicle")  # whereabouts: not a monitor's
    expect(page.locator("[data-on-board]")).to_have_text("3")
    expect(page.locator("[data-checkpoint=cp1] td").first).to_have_text("3")  # recorded count
    expect(page.locator("[data-checkpoint]")).to_have_count(2)
    expect(page.locator(".sign-line")).to_have_count(3)
    assert site.audited("checkpoint-monitor") == ["web: view manifest"]

    expect(page.locator("link[rel=stylesheet][media=print]")).to_have_attribute(
        "href", "/static/print.css")
    expect(page.locator("[data-print]")).to_be_visible()  # the script showed the button
    page.emulate_media(media="print")
    expect(page.locator("header.top")).to_be_hidden()
    expect(page.locator("[data-print]")).to_be_hidden()
    expect(page.locator("[data-manifest]")).to_be_visible()
    expect(page.locator("[data-illustrative]")).to_be_visible()  # a demo stays marked on paper
    colours = page.evaluate("""() => [getComputedStyle(document.body).backgroundColor,
        getComputedStyle(document.querySelector('.banner')).backgroundColor,
        getComputedStyle(document.querySelector('th')).color]""")
    assert colours == ["rgba(0, 0, 0, 0)", "rgba(0, 0, 0, 0)", "rgb(0, 0, 0)"]
    page.screenshot(path="/tmp/corridor-manifest-print.png", full_page=True)


# --- partners ------------------------------------------------------------------------------------


@browser_test
def test_partners_see_suppressed_counts_and_no_names(page: Page, site: Site) -> None:
    people = journey(site)
    sign_in(page, "partner")
    counts = status_counts(page)
    assert counts == {s: "fewer than 5" for s in EXPECTED}  # every cell is below 5
    # The total is rounded to 5 too, so it cannot be used to undo a suppressed cell;
    # and it says so.
    expect(page.locator("[data-status=registered] .n")).to_have_text("about 10")
    expect(page.locator("[data-status=registered] [data-rounded]")).to_have_text(
        "rounded to 5")
    expect(page.locator("[data-sum]")).to_have_count(0)
    expect(page.locator("nav a[href='/alerts']")).to_have_count(0)
    expect(page.locator("nav a[href='/register']")).to_have_count(0)

    pages = {"/": 200, "/convoys": 200, "/incidents": 200, "/alerts": 403,
             "/vehicles/bus2/manifest": 403, "/register": 403}
    for path, status in pages.items():
        response = page.goto(path)
        assert response is not None and response.status == status, path
        text = page.locator("body").inner_text()
        for name in [*people, "Haddad", "Khalil", "Nasser"]:
            assert name not in text, (path, name)
        if status == 403:
            expect(page.locator("[data-error]")).to_have_text("Your role may not open this page.")
    page.goto("/convoys")
    expect(page.locator("a[href*='/manifest']")).to_have_count(0)
    assert site.audited("partner") == []


# --- CSRF ---------------------------------------------------------------------------------


@browser_test
def test_a_post_without_the_csrf_token_is_refused(page: Page, site: Site) -> None:
    journey(site)
    sign_in(page, "coordinator")
    page.goto("/alerts")
    alert_id = page.locator(".alert-card.kind-headcount_short").get_attribute("data-alert")
    page.goto(f"/alerts/{alert_id}")
    token = page.locator("form [name=csrf]").first.input_value()
    recorded = site.event_count()

    for sent in ({}, {"csrf": "forged"}):
        answer = page.request.post(f"/alerts/{alert_id}/note", max_redirects=0,
                                   form={"note": "forged", **sent})
        assert answer.status == 403
        assert "did not come from this session" in answer.text()
    assert site.event_count() == recorded

    answer = page.request.post(f"/alerts/{alert_id}/note", max_redirects=0,
                               form={"note": "checked", "csrf": token})
    assert answer.status == 303  # the same request with the token goes through
    assert site.event_count() == recorded + 1


# --- incidents ----------------------------------------------------------------------------


@browser_test
def test_a_checkpoint_monitor_reports_an_incident(page: Page, site: Site) -> None:
    journey(site)
    sign_in(page, "checkpoint_monitor")
    page.goto("/incidents")
    expect(page.locator("[data-incidents]")).to_have_count(0)
    page.click("summary")
    page.select_option("#type", "shooting")
    page.select_option("#location_id", "cp1")
    page.select_option("#convoy_id", "c1")
    page.select_option("#vehicle_id", "bus2")
    page.fill("#occurred_at", "2016-12-15T09:30")
    page.fill("#injured", "2")
    page.fill("#description", "Shots fired near the checkpoint")
    page.click("form[action='/incidents'] button[type=submit]")
    row = page.locator("[data-incidents] tbody tr")
    expect(row).to_have_count(1)
    for text in ("2016-12-15 09:30 UTC", "Salah al-Din", "Convoy 1 / Bus 2", "Shooting",
                 "checkpoint-monitor", "Shots fired near the checkpoint"):
        expect(row).to_contain_text(text)


# --- without a browser (the catalogues themselves: test_i18n.py) ---------------------------


def test_an_unexpected_failure_shows_a_friendly_page(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    engine = connect(str(tmp_path / "corridor.db"))
    initialise(engine)
    site = Site.with_users("http://testserver", create_app(engine, secret="s"), engine)
    browser = TestClient(site.app, raise_server_exceptions=False)
    login = browser.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', login.text)
    assert token
    browser.post("/login", data={"username": "coordinator", "password": PASSWORD,
                                 "csrf": token.group(1)})

    def broken(*_: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(dashboard, "figures", broken)
    answer = browser.get("/")
    assert answer.status_code == 500
    assert "text/html" in answer.headers["content-type"]
    assert "nothing was recorded" in answer.text
    assert "secret internals" not in answer.text and "Traceback" not in answer.text
    missing = browser.get("/no-such-page")
    assert (missing.status_code, "There is no such page." in missing.text) == (404, True)
    assert browser.get("/api/no-such-thing").headers["content-type"] == "application/problem+json"
    engine.dispose()
