"""Pages and API answers as of an earlier moment: they show what they showed when the
ledger stood there, nothing that records, and the picker moves through time.

The dashboard and `GET /api/operation` read through `timeline.read_at` on this branch;
the convoy board's `?as_of=` (`GET /api/convoys`, `/convoys`) arrives with the board's
branch: until then those tests are skipped, saying so."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from operation_setup import ok
from playwright.sync_api import Page, expect
from web_server import PASSWORD, Site, open_operation, register, sign_in

from corridor.server import create_app
from corridor.storage import ledger_store


@pytest.fixture
def scene(engine) -> Iterator[Site]:
    yield Site.with_users("http://testserver", create_app(engine, secret="s"), engine)


def signed_in(site: Site, role: str = "coordinator") -> TestClient:
    browser = TestClient(site.app, raise_server_exceptions=False)
    token = re.search(r'name="csrf" value="([^"]+)"', browser.get("/login").text)
    assert token
    browser.post("/login", data={"username": role, "password": PASSWORD,
                                 "csrf": token.group(1)})
    return browser


def head(site: Site) -> int:
    with site.engine.connect() as conn:
        return ledger_store.head(conn)[0]


def figures(html: str) -> dict[str, str]:
    """The dashboard's figures: each status, the total, households, open alerts."""
    found = dict(re.findall(r'data-status="(\w+)"[^>]*>\s*<span class="label">[^<]*</span>\s*'
                            r'<span class="n">([^<]*)</span>', html))
    found["households"] = re.findall(r"data-households>([^<]*)<", html)[0]
    found["open_alerts"] = re.findall(r"data-open-alerts>([^<]*)<", html)[0]
    return found


def first_half(site: Site) -> dict[str, str]:
    open_operation(site, illustrative=False)
    return first_half_after(site)


def first_half_after(site: Site) -> dict[str, str]:
    people = register(site, "F-1", "Haddad", ["Mariam", "Yusuf", "Huda", "Karim"])
    register(site, "F-2", "Khalil", ["Layla", "Omar", "Nour"])
    ok(site.api("registrar").post("/api/vehicles/bus1/boarding", json={"token": "F-1"}))
    return people


def second_half(site: Site, people: dict[str, str]) -> None:
    registrar, co = site.api("registrar"), site.api("coordinator")
    monitor, reception = site.api("checkpoint_monitor"), site.api("reception")
    register(site, "F-3", "Nasser", ["Salma", "Rami"])
    ok(registrar.post("/api/vehicles/bus2/boarding", json={"token": "F-2"}))
    ok(co.post("/api/convoys/c1/departure"))
    ok(monitor.post("/api/vehicles/bus1/passages", json={"checkpoint_id": "cp1", "headcount": 3}))
    ok(monitor.post(f"/api/persons/{people['Huda']}/removal",
                    json={"checkpoint_id": "cp1", "reason": "detained"}))
    ok(reception.post("/api/vehicles/bus1/arrival", json={"location_id": "rc"}))
    ok(reception.post(f"/api/persons/{people['Mariam']}/check-in", json={"location_id": "rc"}))


def test_the_dashboard_as_of_n_shows_what_it_showed_at_n(scene: Site) -> None:
    people = first_half(scene)
    browser = signed_in(scene)
    then, seq = browser.get("/").text, head(scene)
    second_half(scene, people)
    now = browser.get("/").text
    assert figures(now) != figures(then)
    past = browser.get(f"/?as_of={seq}")
    assert past.status_code == 200
    assert figures(past.text) == figures(then)
    assert f'data-as-of="{seq}"' in past.text and f"event {seq} of {head(scene)}" in past.text
    # The API answers the same figures at the same moment.
    api = ok(scene.api("coordinator").get("/api/operation", params={"as_of": seq}))["counts"]
    assert {s: str(n) for s, n in api["by_status"].items()} | {
        "registered": str(api["registered"]), "households": str(api["households"]),
        "open_alerts": str(api["open_alerts"])} == figures(then)
    # As of a time: the record as the server had received it by then.
    assert figures(browser.get("/", params={"as_of": "2000-01-01T00:00"}).text)[
        "registered"] == "0"
    assert figures(browser.get("/", params={"as_of": "2999-01-01T00:00"}).text) == figures(now)


def test_a_page_as_of_a_moment_offers_nothing_that_records(scene: Site) -> None:
    first_half(scene)
    browser = signed_in(scene)
    page = browser.get("/", params={"as_of": 3}).text
    main = page[page.index("<main"):]
    assert 'method="post"' not in main.lower()
    assert "Nothing can be recorded on this page" in page
    assert 'href="/alerts?as_of=3"' in page  # links keep the moment
    assert "data-as-of" not in browser.get("/").text  # now: no banner


def test_a_moment_that_is_neither_a_number_nor_a_time_is_refused(scene: Site) -> None:
    first_half(scene)
    page = signed_in(scene).get("/", params={"as_of": "last tuesday"})
    assert page.status_code == 422
    assert "neither an event number nor a date and time" in page.text
    problem = scene.api("coordinator").get("/api/operation", params={"as_of": "last tuesday"})
    assert problem.status_code == 422
    assert problem.headers["content-type"].startswith("application/problem+json")
    assert "as_of" in problem.text


def _has_as_of(site: Site, path: str) -> bool:
    operation = site.app.openapi()["paths"][path]["get"]
    return any(p["name"] == "as_of" for p in operation.get("parameters", []))


def test_the_convoy_board_as_of_n_answers_what_it_answered_at_n(scene: Site) -> None:
    if not _has_as_of(scene, "/api/convoys"):
        pytest.skip("GET /api/convoys takes as_of once the board's branch is merged")
    people = first_half(scene)
    co = scene.api("coordinator")
    then, seq = ok(co.get("/api/convoys")), head(scene)
    second_half(scene, people)
    assert ok(co.get("/api/convoys")) != then
    assert ok(co.get("/api/convoys", params={"as_of": seq})) == then
    page = signed_in(scene).get("/convoys", params={"as_of": seq}).text
    assert f'data-as-of="{seq}"' in page
    assert 'method="post"' not in page[page.index("<main"):].lower()


@pytest.mark.browser
def test_the_picker_steps_back_chooses_a_moment_and_comes_back_to_now(
        page: Page, site: Site) -> None:
    open_operation(site, illustrative=False)
    register(site, "F-0", "Haddad", ["Mariam", "Yusuf"])
    mark = site.event_count()  # two people registered
    people = first_half_after(site)
    second_half(site, people)
    last = site.event_count()
    sign_in(page, "coordinator")
    banner = page.locator("[data-as-of]")
    expect(banner).to_have_count(0)
    page.get_by_text("See the operation at another moment").click()
    page.fill("#as-of-seq", str(mark))
    page.locator("form.by-event button").click()
    expect(banner).to_have_attribute("data-as-of", str(mark))
    expect(page.locator("[data-timeline]")).to_contain_text(f"event {mark} of {last}")
    expect(page.locator("[data-status=registered] .n")).to_have_text("2")
    page.click("[data-step=back_event]")
    expect(banner).to_have_attribute("data-as-of", str(mark - 1))
    page.click("[data-step=on_event]")
    expect(banner).to_have_attribute("data-as-of", str(mark))
    page.click("[data-step=back_day]")  # a day before the first event
    expect(page.locator("[data-timeline]")).to_contain_text(f"event 0 of {last}")
    expect(page.locator("[data-status=registered] .n")).to_have_text("0")
    page.locator("[data-day]").first.click()  # the end of the day: everything so far
    expect(banner).to_have_count(0)
    page.get_by_text("See the operation at another moment").click()
    page.fill("#as-of-seq", str(mark))
    page.locator("form.by-event button").click()
    page.click("[data-now]")
    expect(banner).to_have_count(0)
    expect(page.locator("[data-status=registered] .n")).to_have_text("11")


