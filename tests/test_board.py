"""The convoy board, the convoy page and trip manifests through the API and the pages'
HTML (TestClient), on SQLite and PostgreSQL. The browser tests are in test_web_board.py."""

from __future__ import annotations

import gzip
import re
from typing import Any

from conftest import PASSWORD
from fastapi.testclient import TestClient
from operation_setup import ok, register, set_up
from sqlalchemy import func, select

from corridor.storage.schema import events

Client = TestClient


def head(api: Any) -> int:
    with api.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(events)).scalar_one())


def plan(coordinator: Client, convoy_id: str, vehicles: list[str], route: str = "r1") -> None:
    ok(coordinator.post("/api/convoys", json={"convoy_id": convoy_id, "label": convoy_id.upper(),
                                              "route_id": route, "vehicle_ids": vehicles}), 201)


def vehicle(board: list[dict[str, Any]], convoy_id: str, vehicle_id: str) -> dict[str, Any]:
    convoy = next(c for c in board if c["convoy_id"] == convoy_id)
    return next(v for v in convoy["vehicles"] if v["vehicle_id"] == vehicle_id)


def test_a_bus_used_twice_counts_and_lists_each_trip_apart(api) -> None:
    coordinator, registrar = api.as_("coordinator"), api.as_("registrar")
    monitor, reception = api.as_("checkpoint_monitor"), api.as_("reception")
    set_up(coordinator, capacity=4)
    first = register(registrar, 3, token="F-1")
    second = register(registrar, 4, token="F-2")
    ok(registrar.post("/api/vehicles/bus1/boarding", json={"token": "F-1"}))
    ok(coordinator.post("/api/convoys/c1/departure"))
    ok(monitor.post("/api/vehicles/bus1/passages", json={"checkpoint_id": "cp1", "headcount": 3}))
    ok(reception.post("/api/vehicles/bus1/arrival", json={"location_id": "rc"}))
    for person_id in first[:2]:
        ok(reception.post(f"/api/persons/{person_id}/check-in", json={"location_id": "rc"}))
    plan(coordinator, "c2", ["bus1"])  # the same bus goes back for a second trip
    ok(registrar.post("/api/vehicles/bus1/boarding", json={"token": "F-2"}))

    board = ok(coordinator.get("/api/convoys"))
    one, two = vehicle(board, "c1", "bus1"), vehicle(board, "c2", "bus1")
    # The arrived trip: 2 of its 3 checked in, not "on board 0"; the second trip's 4 apart.
    assert (one["boarded"], one["on_board"], one["checked_in"], one["to_check_in"]) == (3, 0, 2, 3)
    assert (one["arrived_at_id"], one["counted"], one["counted_where"]) == ("rc", 3, "cp1")
    assert (two["boarded"], two["on_board"], two["checked_in"], two["counted"]) == (4, 4, 0, None)
    assert not one["over_capacity"] and not two["over_capacity"]

    trip1 = ok(coordinator.get("/api/vehicles/bus1/manifest", params={"convoy": "c1"}))
    trip2 = ok(coordinator.get("/api/vehicles/bus1/manifest", params={"convoy": "c2"}))
    assert sorted(p["person_id"] for p in trip1["persons"]) == sorted(first)
    assert sorted(p["person_id"] for p in trip2["persons"]) == sorted(second)
    assert (trip1["convoy"]["convoy_id"], trip2["convoy"]["convoy_id"]) == ("c1", "c2")
    assert [p["checkpoint_id"] for p in trip1["passages"]] == ["cp1"] and trip2["passages"] == []
    # Without a convoy: the vehicle's current trip, as before.
    assert ok(coordinator.get("/api/vehicles/bus1/manifest"))["convoy"]["convoy_id"] == "c2"
    wrong = coordinator.get("/api/vehicles/bus2/manifest", params={"convoy": "c2"})
    assert wrong.status_code == 404 and wrong.json()["field"] == "vehicle_id"

    page = ok_page(api, "coordinator", "/vehicles/bus1/manifest?convoy=c1")
    assert page.count("data-person=") == 3 and "Convoy 1" in page and "C2" not in page


def signed_in(api: Any, role: str) -> Client:
    """A browser's cookie session for the role (the account `api.as_` made)."""
    api.as_(role)
    browser = TestClient(api.app, raise_server_exceptions=False)
    token = re.search(r'name="csrf" value="([^"]+)"', browser.get("/login").text)
    assert token is not None
    signed = browser.post("/login", data={"username": role.replace("_", "-"),
                                          "password": PASSWORD, "csrf": token.group(1)},
                          follow_redirects=False)
    assert signed.status_code == 303
    return browser


def ok_page(api: Any, role: str, path: str) -> str:
    answer = signed_in(api, role).get(path)
    assert answer.status_code == 200, (path, answer.status_code)
    return answer.text


def test_over_capacity_and_a_headcount_mismatch_are_marked(api) -> None:
    coordinator, registrar = api.as_("coordinator"), api.as_("registrar")
    monitor = api.as_("checkpoint_monitor")
    set_up(coordinator, vehicles=2, capacity=4)
    register(registrar, 4, token="F-1")
    extra = register(registrar, 1, token="F-2")
    register(registrar, 2, token="F-3")
    ok(registrar.post("/api/vehicles/bus1/boarding", json={"token": "F-1"}))
    ok(registrar.post("/api/vehicles/bus1/boarding", json={
        "person_ids": extra, "override_reason": "grandmother with them"}))
    ok(registrar.post("/api/vehicles/bus2/boarding", json={"token": "F-3"}))
    ok(coordinator.post("/api/convoys/c1/departure"))
    ok(monitor.post("/api/vehicles/bus2/passages", json={"checkpoint_id": "cp1", "headcount": 1}))

    bus1, bus2 = (vehicle(ok(coordinator.get("/api/convoys")), "c1", v) for v in ("bus1", "bus2"))
    assert (bus1["boarded"], bus1["capacity"], bus1["over_capacity"]) == (5, 4, True)
    assert bus1["mismatch"] is None and not bus2["over_capacity"]
    assert bus2["mismatch"] == {"checkpoint_id": "cp1", "name": "Salah al-Din", "counted": 1,
                                "expected": 2}
    html = ok_page(api, "coordinator", "/convoys")
    chip = re.search(r'<li class="chip[^"]*over-capacity[^"]*" data-vehicle="bus1">(.*?)</li>',
                     html, re.S)
    assert chip and "Over capacity: 5 of 4" in chip.group(1)
    chip = re.search(r'<li class="chip[^"]*mismatch[^"]*" data-vehicle="bus2">(.*?)</li>',
                     html, re.S)
    assert chip and "Headcount mismatch at Salah al-Din: counted 1, expected 2" in chip.group(1)

    ok(monitor.post("/api/vehicles/bus2/passages", json={"checkpoint_id": "cp1", "headcount": 2}))
    assert vehicle(ok(coordinator.get("/api/convoys")), "c1", "bus2")["mismatch"] is None


def test_the_board_puts_active_convoys_first_filters_and_pages(api) -> None:
    coordinator, registrar = api.as_("coordinator"), api.as_("registrar")
    reception = api.as_("reception")
    set_up(coordinator, vehicles=1)
    ok(coordinator.post("/api/routes", json={
        "route_id": "r2", "name": "Amiriyah direct", "origin_id": "gp", "checkpoint_ids": [],
        "destination_id": "rc"}), 201)
    for n in range(2, 26):
        ok(coordinator.post("/api/vehicles", json={"vehicle_id": f"bus{n}", "kind": "bus",
                                                   "label": f"Bus {n}", "capacity": 50}), 201)
    register(registrar, 2, token="F-1")
    ok(registrar.post("/api/vehicles/bus1/boarding", json={"token": "F-1"}))
    ok(coordinator.post("/api/convoys/c1/departure"))
    ok(reception.post("/api/vehicles/bus1/arrival", json={"location_id": "rc"}))  # finished
    for n in range(2, 24):  # 22 planned, the last three on route r2
        plan(coordinator, f"p{n:02}", [f"bus{n}"], "r2" if n >= 21 else "r1")
    for convoy_id, bus, token in (("held", "bus24", "F-2"), ("moving", "bus25", "F-3")):
        plan(coordinator, convoy_id, [bus])
        register(registrar, 1, token=token)  # a convoy departs with someone aboard
        ok(registrar.post(f"/api/vehicles/{bus}/boarding", json={"token": token}))
        ok(coordinator.post(f"/api/convoys/{convoy_id}/departure"))
    ok(coordinator.post("/api/convoys/held/hold", json={"reason": "shelling", "location_id": "gp"}))

    everything = coordinator.get("/api/convoys")  # no paging asked: every convoy, as before
    assert everything.headers["X-Total-Count"] == "25" and len(everything.json()) == 25
    order = [c["convoy_id"] for c in everything.json()]
    assert set(order[:2]) == {"held", "moving"} and order[-1] == "c1"
    assert all(c.startswith("p") for c in order[2:-1])

    page1 = coordinator.get("/api/convoys", params={"page": 1})
    assert len(page1.json()) == 20 and page1.headers["X-Total-Count"] == "25"
    page2 = ok(coordinator.get("/api/convoys", params={"page": 2}))
    assert [c["convoy_id"] for c in page1.json() + page2] == order
    planned = coordinator.get("/api/convoys", params={"state": "planned", "route": "r2"})
    assert sorted(c["convoy_id"] for c in planned.json()) == ["p21", "p22", "p23"]
    today = everything.json()[0]["day"]
    assert len(ok(coordinator.get("/api/convoys", params={"day": today}))) == 25
    assert ok(coordinator.get("/api/convoys", params={"day": "2001-01-01"})) == []
    for params, field in (({"day": "monday"}, "day"), ({"state": "lost"}, "state"),
                          ({"page": 0}, "page")):
        refused = coordinator.get("/api/convoys", params=params)
        assert refused.status_code == 422 and refused.json()["field"] == field, params

    html = ok_page(api, "coordinator", "/convoys?state=planned")
    assert html.count('class="convoy"') == 20 and "Convoys 1–20 of 22" in html
    assert re.search(r'<option value="planned" selected>Planned \(22\)</option>', html)
    assert re.search(r'<option value="r2">Amiriyah direct \(3\)</option>', html)
    assert 'href="/convoys?day=&amp;state=planned&amp;route=&amp;page=2"' in html
    last = ok_page(api, "coordinator", "/convoys?state=planned&page=2")
    assert last.count('class="convoy"') == 2 and "Convoys 21–22 of 22" in last
    assert signed_in(api, "coordinator").get("/convoys?day=soon").status_code == 422


def test_as_of_an_earlier_moment_the_board_shows_the_convoy_not_yet_departed(api) -> None:
    coordinator, registrar = api.as_("coordinator"), api.as_("registrar")
    monitor = api.as_("checkpoint_monitor")
    set_up(coordinator)
    family = register(registrar, 3, token="F-1")
    ok(registrar.post("/api/vehicles/bus1/boarding", json={"token": "F-1"}))
    before = head(api)
    ok(coordinator.post("/api/convoys/c1/departure"))
    ok(monitor.post("/api/vehicles/bus1/passages", json={"checkpoint_id": "cp1", "headcount": 3}))
    ok(monitor.post(f"/api/persons/{family[0]}/removal",
                    json={"checkpoint_id": "cp2", "reason": "detained"}))

    then = ok(coordinator.get("/api/convoys", params={"as_of": before}))[0]
    assert then["state"] == "planned" and then["vehicles"][0]["stop_index"] == 0
    assert then["vehicles"][0]["counted"] is None and then["vehicles"][0]["boarded"] == 3
    bus = ok(coordinator.get("/api/convoys"))[0]["vehicles"][0]
    assert (bus["stop_index"], bus["boarded"], bus["on_board"], bus["removed"]) == (1, 3, 2, 1)
    refused = coordinator.get("/api/convoys", params={"as_of": "yesterday"})
    assert refused.status_code == 422 and refused.json()["field"] == "as_of"
    manifest = ok(coordinator.get("/api/vehicles/bus1/manifest", params={"as_of": before}))
    assert manifest["convoy"]["state"] == "planned" and manifest["passages"] == []

    browser = signed_in(api, "coordinator")
    page = browser.get(f"/convoys?as_of={before}").text
    assert 'data-state="planned"' in page and "data-live-url" not in page
    assert "Boarded: 3 of 50" in page and "On board:" not in page
    assert "/static/live.js" not in page  # an earlier moment does not change: no refresh
    assert f'href="/convoys/c1?as_of={before}"' in page
    convoy = browser.get(f"/convoys/c1?as_of={before}").text
    assert "data-action=" not in convoy and 'data-kind="ConvoyDeparted"' not in convoy
    now = browser.get("/convoys/c1").text
    assert "On board: 2 of 50" in now and "On the manifest: 3" in now
    assert 'data-action="hold"' in now and 'data-action="turn-back"' in now
    assert 'data-action="depart"' not in now and 'data-kind="ConvoyDeparted"' in now


def test_the_convoy_page_offers_only_what_the_role_may_record(api) -> None:
    coordinator = api.as_("coordinator")
    set_up(coordinator)
    planned = signed_in(api, "coordinator").get("/convoys/c1").text
    assert re.findall(r'data-action="([a-z-]+)"', planned) == ["depart", "hold", "abort"]
    assert 'href="/convoys/c1/control/depart"' in planned
    assert "data-action=" not in ok_page(api, "partner", "/convoys/c1")
    assert signed_in(api, "coordinator").get("/convoys/nowhere").status_code == 404


def test_the_live_part_is_sent_only_when_something_was_recorded(api) -> None:
    coordinator, monitor = api.as_("coordinator"), api.as_("checkpoint_monitor")
    registrar = api.as_("registrar")
    set_up(coordinator)
    register(registrar, 2, token="F-1")
    ok(registrar.post("/api/vehicles/bus1/boarding", json={"token": "F-1"}))
    ok(coordinator.post("/api/convoys/c1/departure"))
    browser = signed_in(api, "coordinator")
    seq = head(api)
    for path in ("/convoys?part=live", "/convoys/c1?part=live"):
        assert browser.get(f"{path}&since={seq}").status_code == 204, path
    ok(monitor.post("/api/vehicles/bus1/passages", json={"checkpoint_id": "cp1", "headcount": 2}))
    for path in ("/convoys?part=live", "/convoys/c1?part=live"):
        part = browser.get(f"{path}&since={seq}")
        assert part.status_code == 200 and "<html" not in part.text, path
        assert f'data-seq="{seq + 1}"' in part.text and "Last count: 2 at Salah al-Din" in part.text


def test_pages_and_answers_are_compressed_above_a_kilobyte(api) -> None:
    coordinator = api.as_("coordinator")
    set_up(coordinator, vehicles=12)
    browser = signed_in(api, "coordinator")
    page = browser.get("/convoys", headers={"Accept-Encoding": "gzip"})
    assert page.headers["content-encoding"] == "gzip"
    assert "Accept-Encoding" in page.headers["vary"]
    assert int(page.headers["content-length"]) < len(page.text.encode()) / 3
    assert "Content-Security-Policy" in page.headers  # the security headers still on it
    answer = coordinator.get("/api/convoys", headers={"Accept-Encoding": "gzip"})
    assert answer.headers["content-encoding"] == "gzip" and len(answer.json()[0]["vehicles"]) == 12
    small = coordinator.get("/api/me", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in small.headers  # under a kilobyte: as it is
    plain = browser.get("/convoys", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert gzip.decompress(gzip.compress(plain.content)) == plain.content
