"""Setting up an operation from nothing in a real Chromium, and running a convoy
through it with confirmations; each form's refusal; the roles that may not."""

from __future__ import annotations

import re
from typing import Any

import pytest
from operation_setup import ok
from playwright.sync_api import Page, expect
from web_server import Site, open_operation, register, sign_in

browser_test = pytest.mark.browser


def submit(page: Page, label: str, status: int) -> None:
    """Press a form's button and check the answer's status (303: recorded)."""
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name=label, exact=True).click()
    assert answer.value.status == status, answer.value.url


def convoy_state(site: Site, label: str) -> dict[str, Any]:
    board = ok(site.api("coordinator").get("/api/convoys"))
    return next(c for c in board if c["label"] == label)


def set_up_from_nothing(page: Page, site: Site) -> None:
    """Operation, two parties, a gathering point, a checkpoint held by a party, a
    reception, a route through the checkpoint, three buses at once and a convoy."""
    sign_in(page, "coordinator")
    page.click("nav >> text=Setup")
    expect(page.locator("[data-step=operation]")).to_have_class(re.compile(r"\bnext\b"))

    page.click("[data-step=operation] a")
    page.fill("#name", "Foua evacuation")
    submit(page, "Open the operation", 303)
    expect(page.locator("[data-operation]")).to_contain_text("Foua evacuation")
    expect(page.locator(".brand .operation")).to_have_text("Foua evacuation")

    page.goto("/setup/parties")
    for name, kind in (("Syrian Arab Red Crescent", "Organisation"),
                       ("Government forces", "Party or force")):
        page.fill("#name", name)
        page.get_by_label(kind, exact=True).check()
        submit(page, "Add", 303)
        expect(page.locator("[data-recorded]")).to_be_visible()
    expect(page.locator("[data-recorded-list] tbody tr")).to_have_count(2)

    page.goto("/setup/locations")
    # A party or force holds a checkpoint; an organisation runs vehicles.
    expect(page.locator("#held_by option")).to_have_text(["— nobody / not known —",
                                                          "Government forces"])
    places = (("gathering point", "الراموسة", "", "36.17"),
              ("checkpoint", "Ramouseh", "Government forces", "36.15"),
              ("reception centre", "Atareb", "", "36.13"))
    for kind, name, holder, latitude in places:
        page.select_option("#kind", label=kind)
        page.fill("#name", name)
        page.fill("#latitude", latitude)
        page.fill("#longitude", "37.1")
        if holder:
            page.select_option("#held_by", label=holder)
        submit(page, "Add the place", 303)
    listed = page.locator("[data-recorded-list] tbody tr")
    expect(listed).to_have_count(3)
    expect(listed.filter(has_text="Ramouseh").locator("[data-held-by]")).to_have_text(
        "Government forces")

    page.goto("/setup/routes")
    page.fill("#name", "Foua to Atareb")
    page.select_option("#origin_id", label="الراموسة")
    page.select_option("[id='stop.0']", label="Ramouseh (checkpoint)")
    page.select_option("#destination_id", label="Atareb (reception centre)")
    submit(page, "Define the route", 303)
    expect(page.locator("[data-recorded-list] .route-stops li")).to_have_count(3)

    page.goto("/setup/vehicles")
    page.fill("#count", "3")
    page.select_option("#kind", label="bus")
    page.fill("#capacity", "55")
    page.select_option("#organisation_id", label="Syrian Arab Red Crescent")
    page.fill("#pattern", "SARC-{n:03}")
    submit(page, "Show the labels", 200)
    expect(page.locator("[data-preview] li")).to_have_text(["SARC-001", "SARC-002",
                                                             "SARC-003"])
    submit(page, "Add the vehicles", 303)
    expect(page.locator("[data-fleet] [data-count]")).to_have_text(["3"])  # one group

    page.goto("/setup/convoys")
    page.fill("#label", "Convoy 12")
    page.select_option("#route_id", label="Foua to Atareb")
    page.get_by_label("SARC-002").check()
    expect(page.locator("[data-seat-total]")).to_have_text("55")  # setup.js totals them
    page.get_by_role("button", name="Tick them all").click()  # the three alike buses
    expect(page.locator("[data-seat-total]")).to_have_text("165")
    submit(page, "Plan the convoy", 303)
    expect(page.locator("[data-recorded-list] [data-seats]")).to_have_text("165")
    expect(page.locator("[data-vehicle-pick] input")).to_have_count(0)  # none free now

    page.goto("/setup")
    expect(page.locator("[data-step] [data-count]")).to_have_text(
        ["1 recorded", "2 recorded", "3 recorded", "1 recorded", "3 recorded", "1 recorded"])
    expect(page.locator(".setup-step.next")).to_have_count(0)


def board_a_family(site: Site, convoy: dict[str, Any], size: int) -> None:
    """A household registered at the convoy's gathering point and boarded on its first bus."""
    origin = convoy["stops"][0]["location_id"]
    members = [{"given_name": f"Person {n}", "consent": True} for n in range(size)]
    ok(site.api("coordinator").post("/api/households", json={
        "gathering_point_id": origin, "token": "F-12", "members": members}), 201)
    bus = convoy["vehicles"][0]["vehicle_id"]
    ok(site.api("coordinator").post(f"/api/vehicles/{bus}/boarding", json={"token": "F-12"}))


@browser_test
def test_an_operation_is_set_up_from_nothing_and_a_convoy_run_through_it(
        page: Page, site: Site) -> None:
    set_up_from_nothing(page, site)
    convoy = convoy_state(site, "Convoy 12")
    assert convoy["state"] == "planned" and len(convoy["vehicles"]) == 3
    control = f"/convoys/{convoy['convoy_id']}/control"
    page.goto("/setup/convoys")
    actions = page.locator(f"[data-convoy='{convoy['convoy_id']}'] [data-action]")
    expect(actions).to_have_text(["Depart", "Hold", "Call off"])  # what a planned convoy allows

    # Departing an empty convoy is refused, the confirmation shown again with why.
    actions.filter(has_text="Depart").click()
    expect(page.locator("[data-sentence]")).to_have_text(
        "Record that Convoy 12 (a convoy on route Foua to Atareb, 3 vehicles, 0 people aboard) "
        "departed now, as coordinator coordinator.")
    submit(page, "Record the departure", 409)
    expect(page.locator("[data-error]")).to_contain_text("Nobody is aboard this convoy")
    expect(page.locator("[data-refusal]")).to_have_text(
        f"nobody is aboard convoy {convoy['convoy_id']}")
    assert convoy_state(site, "Convoy 12")["state"] == "planned"

    board_a_family(site, convoy, 4)
    page.goto(f"{control}/depart")
    expect(page.locator("[data-sentence]")).to_contain_text("3 vehicles, 4 people aboard")
    submit(page, "Record the departure", 303)
    expect(page).to_have_url(re.compile(rf"/convoys/{convoy['convoy_id']}\?recorded=1$"))
    expect(page.locator("[data-recorded]")).to_be_visible()  # the decision confirmed
    assert convoy_state(site, "Convoy 12")["state"] == "departed"

    # Departed already: the page says so and offers no button.
    page.goto(f"{control}/depart")
    expect(page.locator("[data-error]")).to_contain_text("its state is “Departed”")
    expect(page.get_by_role("button", name="Record the departure")).to_have_count(0)

    page.goto(f"{control}/hold")
    submit(page, "Record the hold", 422)  # no reason given
    expect(page.locator("[data-error]")).to_have_text(
        "Nothing was recorded. Correct the fields marked below.")
    expect(page.locator("[data-error-for=reason]")).to_have_text("Required.")
    page.select_option("#location_id", label="Ramouseh")
    page.fill("#reason", "Shelling on the road ahead")
    submit(page, "Record the hold", 303)
    held = convoy_state(site, "Convoy 12")
    assert (held["state"], held["reason"]) == ("held", "Shelling on the road ahead")
    assert held["stops"][1]["location_id"] == held["location_id"]

    page.goto(f"{control}/release")
    page.fill("#note", "Road open again")
    submit(page, "Record the release", 303)
    released = convoy_state(site, "Convoy 12")
    assert (released["state"], released["reason"]) == ("departed", "Road open again")
    events = ok(site.api("admin").get("/api/sync/pull", params={"since": 0}))["events"]
    assert [e["type"] for e in events][-3:] == ["ConvoyDeparted", "ConvoyHeld", "ConvoyReleased"]
    assert {e["author"] for e in events[-3:]} == {"coordinator"}


@browser_test
def test_a_convoy_is_turned_back_and_returns_and_another_is_called_off(
        page: Page, site: Site) -> None:
    open_operation(site, illustrative=False)  # c1: bus1, bus2 on gp → cp1 → cp2 → rc
    family = register(site, "F-1", "Haddad", ["Mariam", "Yusuf"])
    co = site.api("coordinator")
    ok(co.post("/api/vehicles/bus1/boarding", json={"token": "F-1"}))
    ok(co.post("/api/convoys/c1/departure"))
    sign_in(page, "coordinator")

    page.goto("/convoys/c1/control/turn-back")
    expect(page.locator("#location_id option")).to_have_text(
        ["— not known —", "Amiriyah", "Salah al-Din", "Ramouseh", "Atareb"])
    page.select_option("#location_id", label="Salah al-Din")
    page.fill("#reason", "Sent back at the checkpoint")
    submit(page, "Record the turn back", 303)
    turned = convoy_state(site, "Convoy 1")
    assert (turned["state"], turned["location_id"]) == ("turned_back", "cp1")

    page.goto("/convoys/c1/control/return")
    expect(page.locator("[data-sentence]")).to_have_text(
        "Record that Convoy 1 (a convoy on route Amiriyah to Atareb, 2 vehicles) is back at its "
        "gathering point now, as coordinator coordinator: its 2 people wait again.")
    submit(page, "Record the return", 303)
    assert convoy_state(site, "Convoy 1")["state"] == "returned"
    assert {ok(co.get(f"/api/persons/{p}"))["status"] for p in family.values()} == {"waiting"}

    ok(co.post("/api/convoys", json={"convoy_id": "c2", "label": "Convoy 2", "route_id": "r1",
                                     "vehicle_ids": ["bus3"]}), 201)
    page.goto("/convoys/c2/control/abort")
    submit(page, "Call it off", 422)  # why is asked
    expect(page.locator("[data-error-for=reason]")).to_be_visible()
    page.fill("#reason", "No fuel for the buses")
    submit(page, "Call it off", 303)
    called_off = convoy_state(site, "Convoy 2")
    assert (called_off["state"], called_off["reason"]) == ("aborted", "No fuel for the buses")
    page.goto("/convoys/c2/control/depart")  # nothing more can be decided
    expect(page.get_by_role("button", name="Record the departure")).to_have_count(0)


@browser_test
def test_every_setup_form_keeps_what_was_typed_and_names_the_field_refused(
        page: Page, site: Site) -> None:
    sign_in(page, "coordinator")
    page.goto("/setup/operation")
    submit(page, "Open the operation", 422)
    expect(page.locator("[data-error-for=name]")).to_have_text("Required.")
    open_operation(site, illustrative=False)  # gp, cp1, cp2, rc, hosp; r1; bus1-3; c1
    recorded = site.event_count()

    page.goto("/setup/parties")
    page.fill("#name", "Government forces")
    submit(page, "Add", 422)  # no kind chosen
    expect(page.locator("[data-error-for=kind]")).to_be_visible()
    expect(page.locator("#name")).to_have_value("Government forces")

    page.goto("/setup/locations")
    page.select_option("#kind", label="reception centre")
    page.fill("#name", "Idlib")
    page.fill("#latitude", "north")
    page.fill("#longitude", "36.6")
    submit(page, "Add the place", 422)
    expect(page.locator("[data-error-for=latitude]")).to_have_text(
        "Enter a number, such as 36.2021.")
    expect(page.locator("#name")).to_have_value("Idlib")

    # Route stops: added, moved and removed by posting back; a stop of the wrong kind
    # (sent by hand: the list offers checkpoints only) is refused on its own row.
    page.goto("/setup/routes")
    page.fill("#name", "Round the back")
    page.select_option("#origin_id", label="Amiriyah")
    page.select_option("[id='stop.0']", label="Salah al-Din (checkpoint)")
    page.get_by_role("button", name="Add a checkpoint").click()
    page.select_option("[id='stop.1']", label="Ramouseh (crossing)")
    page.get_by_role("button", name="Move checkpoint 2 up").click()
    expect(page.locator("[id='stop.0']")).to_have_value("cp2")
    expect(page.locator("[id='stop.1']")).to_have_value("cp1")
    expect(page.locator("#name")).to_have_value("Round the back")
    page.get_by_role("button", name="Remove checkpoint 2").click()
    expect(page.locator("[data-stop-row]")).to_have_count(1)
    page.locator("[id='stop.0']").evaluate(
        "select => { select.add(new Option('Atareb', 'rc')); select.value = 'rc'; }")
    page.select_option("#destination_id", label="Atareb (reception centre)")
    submit(page, "Define the route", 422)
    expect(page.locator("[data-error-for='stop.0']")).to_have_text(
        "This place is not of the kind this stop needs.")
    expect(page.locator("[data-error-for=destination_id]")).to_have_count(0)

    page.goto("/setup/vehicles")
    page.fill("#count", "2")
    page.select_option("#kind", label="bus")
    page.fill("#capacity", "40")
    page.fill("#pattern", "Bus")
    submit(page, "Add the vehicles", 422)  # two vehicles, one label
    expect(page.locator("[data-error-for=pattern]")).to_contain_text("Put {n} once")
    page.fill("#pattern", "Bus {n}")
    page.fill("#start", "3")
    submit(page, "Add the vehicles", 409)  # "Bus 3" is painted on bus3 already
    expect(page.locator("[data-error-for=pattern]")).to_contain_text("already carries")
    expect(page.locator("#pattern")).to_have_value("Bus {n}")

    page.goto("/setup/convoys")
    expect(page.locator("[data-vehicle-pick] input")).to_have_count(1)  # bus3; 1, 2 in c1
    page.fill("#label", "Convoy 2")
    page.select_option("#route_id", label="Amiriyah to Atareb")
    submit(page, "Plan the convoy", 422)  # no vehicle ticked
    expect(page.locator("[data-error-for=vehicle_ids]")).to_be_visible()
    expect(page.locator("#label")).to_have_value("Convoy 2")
    assert site.event_count() == recorded  # nothing half-written


@browser_test
@pytest.mark.parametrize("role", ["checkpoint_monitor", "partner"])
def test_roles_that_may_not_set_up_are_refused(page: Page, site: Site, role: str) -> None:
    open_operation(site, illustrative=False)
    sign_in(page, role)
    expect(page.locator("nav >> text=Setup")).to_have_count(0)
    for path in ("/setup", "/setup/vehicles", "/convoys/c1/control/hold"):
        assert page.goto(path).status == 403, path
    # A form posted anyway (with this session's own CSRF token) records nothing.
    recorded = site.event_count()
    csrf = page.evaluate("() => document.querySelector('input[name=csrf]').value")
    answer = page.request.post("/setup/locations", form={
        "csrf": csrf, "location_id": "x1", "kind": "checkpoint", "name": "Elsewhere",
        "latitude": "36", "longitude": "37"})
    assert answer.status == 403 and site.event_count() == recorded


@browser_test
@pytest.mark.parametrize("lang", ["en", "ar"])
def test_a_route_with_a_long_checkpoint_name_fits_a_phone(page: Page, site: Site,
                                                          lang: str) -> None:
    open_operation(site, illustrative=False)
    ok(site.api("coordinator").post("/api/locations", json={
        "location_id": "cp3", "kind": "checkpoint", "latitude": 36.1, "longitude": 37.1,
        "name": "al-Rashideen (Rashidin-4) / Khan al-Asal staging area"}), 201)
    sign_in(page, "coordinator")
    page.set_viewport_size({"width": 360, "height": 640})
    page.goto(f"/setup/routes?lang={lang}")
    page.select_option("[id='stop.0']", "cp3")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


@browser_test
def test_an_overview_with_no_operation_leads_to_setup_those_who_may(
        page: Page, site: Site) -> None:
    sign_in(page, "coordinator")
    expect(page.locator(".notice").first).to_contain_text("No operation has been opened yet.")
    page.locator("[data-start-setup]").click()
    expect(page).to_have_url(re.compile(r"/setup$"))
    page.click("form[action='/logout'] button")
    sign_in(page, "partner")
    expect(page.locator(".notice").first).to_have_text("No operation has been opened yet.")
    expect(page.locator("[data-start-setup]")).to_have_count(0)


@browser_test
@pytest.mark.parametrize(("lang", "back"), [("en", "← Convoy 1"), ("ar", "→ Convoy 1")])
def test_a_confirmation_points_back_to_its_convoy_the_way_the_language_reads(
        page: Page, site: Site, lang: str, back: str) -> None:
    open_operation(site, illustrative=False)
    sign_in(page, "coordinator")
    page.goto(f"/convoys/c1/control/hold?lang={lang}")
    expect(page.locator("[data-back]")).to_have_text(back)
