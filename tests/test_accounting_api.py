"""The whole movement of a convoy through the API, and the accounting it produces."""

from __future__ import annotations

from collections import Counter

from operation_setup import ok, register, set_up
from sqlalchemy import text

from corridor.services.ledger import Ledger, verify


def statuses(api) -> Counter[str]:
    rows = ok(api.as_("coordinator").get("/api/persons", params={"limit": 1000}))
    return Counter(row["status"] for row in rows)


def test_convoy_with_a_short_headcount_a_removal_and_a_missed_check_in(api, engine) -> None:
    coordinator, registrar = api.as_("coordinator"), api.as_("registrar")
    monitor, reception = api.as_("checkpoint_monitor"), api.as_("reception")
    set_up(coordinator)
    families = [register(registrar, size, token=f"F-{n}") for n, size in enumerate([4, 3, 5])]
    stays = register(registrar, 2)
    everyone = [p for family in families for p in family]

    for n in range(len(families)):
        ok(registrar.post("/api/vehicles/bus1/boarding", json={"token": f"F-{n}"}))
    ok(registrar.post(f"/api/persons/{stays[0]}/stay", json={"note": "chose to stay"}))
    ok(coordinator.post("/api/convoys/c1/departure"))

    # First checkpoint: all 12 counted. Second: two short, one removal recorded.
    ok(monitor.post("/api/vehicles/bus1/passages", json={"checkpoint_id": "cp1", "headcount": 12}))
    removed = everyone[5]
    ok(monitor.post("/api/vehicles/bus1/passages", json={"checkpoint_id": "cp2", "headcount": 10}))
    ok(monitor.post(f"/api/persons/{removed}/removal", json={
        "checkpoint_id": "cp2", "reason": "detained", "removed_by": "militia"}))

    alerts = ok(coordinator.get("/api/alerts"))
    assert [(a["kind"], a["missing"], a["location_id"]) for a in alerts] == [
        ("headcount_short", 1, "cp2")]

    ok(reception.post("/api/vehicles/bus1/arrival", json={"location_id": "rc"}))
    missing = everyone[0]
    for person_id in everyone:
        if person_id not in (removed, missing):
            ok(reception.post(f"/api/persons/{person_id}/check-in", json={"location_id": "rc"}))

    assert statuses(api) == {"arrived": 10, "removed": 1, "unaccounted": 1, "stayed": 1,
                             "waiting": 1}
    counts = ok(coordinator.get("/api/operation"))["counts"]
    assert counts["registered"] == 14 == sum(counts["by_status"].values())
    unaccounted = ok(coordinator.get("/api/unaccounted"))
    assert [p["person_id"] for p in unaccounted["persons"]] == [missing]
    kinds = sorted((a["kind"], a["missing"], a["person_ids"]) for a in unaccounted["alerts"])
    assert kinds == [("headcount_short", 1, []), ("not_checked_in", 1, [missing])]
    removed_row = ok(coordinator.get(f"/api/persons/{removed}"))
    assert (removed_row["location_id"], removed_row["removal_reason"]) == ("cp2", "detained")

    # Rebuilding from the ledger reproduces the same counts; the chain verifies.
    before = ok(coordinator.get("/api/operation"))["counts"]
    Ledger(engine).rebuild()
    assert ok(coordinator.get("/api/operation"))["counts"] == before
    assert verify(engine).broken is None


def test_a_late_check_in_closes_the_alert_and_a_coordinator_resolves_the_headcount(api) -> None:
    coordinator, registrar = api.as_("coordinator"), api.as_("registrar")
    reception, monitor = api.as_("reception"), api.as_("checkpoint_monitor")
    set_up(coordinator)
    family = register(registrar, 3, token="F-1")
    ok(registrar.post("/api/vehicles/bus1/boarding", json={"token": "F-1"}))
    ok(coordinator.post("/api/convoys/c1/departure"))
    ok(monitor.post("/api/vehicles/bus1/passages", json={"checkpoint_id": "cp1", "headcount": 2}))
    ok(reception.post("/api/vehicles/bus1/arrival", json={"location_id": "rc"}))
    for person_id in family:
        ok(reception.post(f"/api/persons/{person_id}/check-in", json={"location_id": "rc"}))

    open_alerts = ok(coordinator.get("/api/alerts"))
    assert [a["kind"] for a in open_alerts] == ["headcount_short"]
    explained = ok(coordinator.get("/api/alerts", params={"status": "explained"}))
    assert [(a["kind"], a["resolution"]) for a in explained] == [("not_checked_in", None)]
    assert sorted((f["type"], f["person_id"], f["location_id"])
                  for f in explained[0]["explained_by"]) == sorted(
        ("PersonCheckedIn", p, "rc") for p in family)

    alert_id = open_alerts[0]["alert_id"]
    ok(coordinator.post(f"/api/alerts/{alert_id}/resolution",
                        json={"note": "miscount confirmed by the driver"}))
    assert ok(coordinator.get("/api/alerts")) == []
    [noted] = ok(coordinator.get("/api/alerts", params={"status": "resolved"}))
    assert (noted["alert_id"], noted["resolution"], noted["explained_by"]) == (
        alert_id, "miscount confirmed by the driver", [])
    again = coordinator.post(f"/api/alerts/{alert_id}/resolution", json={"note": "again"})
    assert again.status_code == 409
    assert "already resolved" in again.json()["detail"]


def test_boarding_rules(api) -> None:
    coordinator, registrar = api.as_("coordinator"), api.as_("registrar")
    set_up(coordinator, capacity=6)
    family = register(registrar, 4, token="F-1")
    other = register(registrar, 3, token="F-2")
    wounded = register(registrar, 2, token="F-3", needs=["wounded"])

    split = registrar.post("/api/vehicles/bus1/boarding", json={"person_ids": family[:2]})
    assert split.status_code == 409
    assert split.headers["content-type"] == "application/problem+json"
    assert split.json()["field"] == "person_ids" and family[2] in split.json()["detail"]

    queue = ok(registrar.get("/api/boarding-queue"))
    assert [h["token"] for h in queue] == ["F-3", "F-1", "F-2"]  # the wounded first
    ok(registrar.post("/api/vehicles/bus1/fill"))  # 2 wounded + family of 4 = 6 seats
    manifest = ok(coordinator.get("/api/vehicles/bus1/manifest"))
    assert sorted(p["person_id"] for p in manifest["persons"]) == sorted(wounded + family)

    full = registrar.post("/api/vehicles/bus1/boarding", json={"token": "F-2"})
    assert full.status_code == 409 and "free seats" in full.json()["detail"]
    ok(registrar.post("/api/vehicles/bus1/boarding",
                      json={"person_ids": other[:1], "override_reason": "mother with infant"}))
    assert ok(coordinator.get("/api/vehicles/bus1/manifest"))["on_board"] == 7
    assert ok(coordinator.get("/api/alerts")) == []  # an override with a reason is no alert


def test_a_turned_back_convoy_brings_its_passengers_back_to_waiting(api) -> None:
    coordinator, registrar = api.as_("coordinator"), api.as_("registrar")
    monitor = api.as_("checkpoint_monitor")
    set_up(coordinator)
    family = register(registrar, 3, token="F-1")
    ok(registrar.post("/api/vehicles/bus1/boarding", json={"token": "F-1"}))
    ok(coordinator.post("/api/convoys/c1/departure"))
    ok(monitor.post("/api/convoys/c1/hold", json={"reason": "firing ahead",
                                                  "location_id": "cp1"}))
    board = ok(coordinator.get("/api/convoys"))
    assert (board[0]["state"], board[0]["reason"]) == ("held", "firing ahead")
    late = registrar.post("/api/vehicles/bus1/disembarking", json={"person_id": family[0]})
    assert late.status_code == 409 and "departed" in late.json()["detail"]
    ok(monitor.post("/api/convoys/c1/turn-back", json={"reason": "sent back by militia"}))
    ok(coordinator.post("/api/convoys/c1/return"))
    assert statuses(api) == {"waiting": 3}
    assert ok(coordinator.get("/api/convoys"))[0]["state"] == "returned"


def test_editing_a_stored_event_is_named_by_verify(api, engine) -> None:
    coordinator = api.as_("coordinator")
    set_up(coordinator)
    assert verify(engine).broken is None
    with engine.begin() as conn:
        conn.execute(text("UPDATE events SET payload = replace(payload, 'Atareb', 'Idlib') "
                          "WHERE type = 'LocationAdded' AND payload LIKE '%Atareb%'"))
        seq = conn.execute(text("SELECT seq FROM events WHERE payload LIKE '%Idlib%'")).scalar()
    result = verify(engine)
    assert result.broken is not None and result.broken.seq == seq
    assert "edited" in (result.reason or "")


def test_a_late_removal_is_counted_against_the_trip_it_happened_on(api) -> None:
    """The bus has left on a new convoy when the removal of a missing person is
    finally recorded: the old trip's alert closes and the new trip gets none."""
    coordinator, registrar = api.as_("coordinator"), api.as_("registrar")
    monitor, reception = api.as_("checkpoint_monitor"), api.as_("reception")
    set_up(coordinator)
    family = register(registrar, 3, token="F-1")
    ok(registrar.post("/api/vehicles/bus1/boarding", json={"token": "F-1"}))
    ok(coordinator.post("/api/convoys/c1/departure"))
    ok(monitor.post("/api/vehicles/bus1/passages", json={"checkpoint_id": "cp2", "headcount": 2}))
    ok(reception.post("/api/vehicles/bus1/arrival", json={"location_id": "rc"}))
    for person_id in family[1:]:
        ok(reception.post(f"/api/persons/{person_id}/check-in", json={"location_id": "rc"}))
    ok(coordinator.post("/api/convoys", json={"convoy_id": "c2", "label": "Convoy 2",
                                              "route_id": "r1", "vehicle_ids": ["bus1"]}), 201)
    register(registrar, 1, token="F-2")  # a convoy departs with someone aboard
    ok(registrar.post("/api/vehicles/bus1/boarding", json={"token": "F-2"}))
    ok(coordinator.post("/api/convoys/c2/departure"))
    ok(monitor.post("/api/vehicles/bus1/passages", json={"checkpoint_id": "cp2", "headcount": 1}))

    ok(monitor.post(f"/api/persons/{family[0]}/removal", json={
        "checkpoint_id": "cp2", "reason": "detained"}))
    assert ok(coordinator.get("/api/alerts")) == []
    closed = ok(coordinator.get("/api/alerts", params={"status": "explained"}))
    assert sorted(a["kind"] for a in closed) == ["headcount_short", "not_checked_in"]


def test_an_alert_with_a_long_id_can_be_resolved(api) -> None:
    """Alert ids join a convoy, vehicle and checkpoint id: longer than any one id."""
    coordinator, registrar = api.as_("coordinator"), api.as_("registrar")
    monitor = api.as_("checkpoint_monitor")
    set_up(coordinator)
    convoy = "convoy-" + "9" * 50
    ok(coordinator.post("/api/vehicles", json={"vehicle_id": "v" * 60, "kind": "bus",
                                               "label": "Long", "capacity": 9}), 201)
    ok(coordinator.post("/api/convoys", json={"convoy_id": convoy, "label": "L",
                                              "route_id": "r1", "vehicle_ids": ["v" * 60]}), 201)
    register(registrar, 2, token="F-1")
    ok(registrar.post(f"/api/vehicles/{'v' * 60}/boarding", json={"token": "F-1"}))
    ok(coordinator.post(f"/api/convoys/{convoy}/departure"))
    ok(monitor.post(f"/api/vehicles/{'v' * 60}/passages",
                    json={"checkpoint_id": "cp1", "headcount": 1}))
    [alert] = ok(coordinator.get("/api/alerts"))
    assert len(alert["alert_id"]) > 64
    ok(coordinator.post(f"/api/alerts/{alert['alert_id']}/resolution", json={"note": "found"}))
    assert ok(coordinator.get("/api/alerts")) == []


def test_alert_states_as_of_a_moment_a_note_and_the_check_in_that_explains(api) -> None:
    """A note leaves the child unaccounted and the alert `resolved`; the check-in recorded
    later explains it. As of the sequence before the check-in, the API still says so."""
    coordinator, registrar = api.as_("coordinator"), api.as_("registrar")
    reception = api.as_("reception")
    set_up(coordinator)
    family = register(registrar, 2, token="F-1")
    ok(registrar.post("/api/vehicles/bus1/boarding", json={"token": "F-1"}))
    ok(coordinator.post("/api/convoys/c1/departure"))
    ok(reception.post("/api/vehicles/bus1/arrival", json={"location_id": "rc"}))
    ok(reception.post(f"/api/persons/{family[0]}/check-in", json={"location_id": "rc"}))
    [alert] = ok(coordinator.get("/api/alerts"))
    assert (alert["kind"], alert["status"], alert["person_ids"]) == (
        "not_checked_in", "open", [family[1]])

    noted = ok(coordinator.post(f"/api/alerts/{alert['alert_id']}/resolution",
                                json={"note": "child found"}))["recorded"][0]
    [resolved] = ok(coordinator.get("/api/alerts", params={"status": "resolved"}))
    assert (resolved["resolution"], resolved["person_ids"]) == ("child found", [family[1]])
    assert statuses(api)["unaccounted"] == 1  # a note places nobody

    ok(reception.post(f"/api/persons/{family[1]}/check-in", json={"location_id": "rc"}))
    [explained] = ok(coordinator.get("/api/alerts", params={"status": "explained"}))
    assert (explained["resolution"], explained["person_ids"]) == ("child found", [])
    assert [f["person_id"] for f in explained["explained_by"]] == family
    assert statuses(api) == {"arrived": 2}

    then = ok(coordinator.get("/api/alerts", params={"status": "all", "as_of": str(noted)}))
    assert [(a["status"], a["person_ids"]) for a in then] == [("resolved", [family[1]])]
    wrong = coordinator.get("/api/alerts", params={"as_of": "yesterday"})
    assert wrong.status_code == 422 and wrong.json()["field"] == "as_of"
