"""Setting up through the use cases, on SQLite and PostgreSQL: many vehicles at once
(all or none), the refusals of a setup command naming its field, and the decisions
about a convoy its state allows."""

from __future__ import annotations

from operation_setup import ok, register, set_up


def fleet(**given) -> dict:
    return {"fleet_id": "f1", "kind": "bus", "count": 3, "capacity": 55,
            "pattern": "SARC-{n:03}"} | given


def test_a_fleet_is_recorded_as_one_command_with_its_labels(api) -> None:
    coordinator = api.as_("coordinator")
    ok(coordinator.post("/api/parties", json={"party_id": "sarc", "name": "SARC",
                                              "kind": "organisation"}), 201)
    made = ok(coordinator.post("/api/fleets", json=fleet(organisation_id="sarc")), 201)
    assert made["vehicle_ids"] == ["f1-1", "f1-2", "f1-3"] and len(made["recorded"]) == 3
    vehicle = ok(coordinator.get("/api/vehicles/f1-3/manifest"))["vehicle"]
    assert (vehicle["label"], vehicle["capacity"], vehicle["organisation_id"]) == (
        "SARC-003", 55, "sarc")


def test_a_fleet_with_one_label_taken_records_none(api) -> None:
    coordinator = api.as_("coordinator")
    ok(coordinator.post("/api/fleets", json=fleet()), 201)
    again = coordinator.post("/api/fleets", json=fleet(fleet_id="f2", start=3, count=3,
                                                       pattern="sarc-{n:03}"))
    assert again.status_code == 409 and again.json()["field"] == "pattern"
    assert again.json()["detail"] == "label sarc-003 is already used by vehicle f1-3"
    assert coordinator.get("/api/vehicles/f2-1/manifest").status_code == 404  # none of them


def test_a_fleet_pattern_must_number_its_vehicles(api) -> None:
    coordinator = api.as_("coordinator")
    for pattern in ("SARC", "SARC-{n}-{n}", "SARC-{x}", "SARC-{n:03"):
        refused = coordinator.post("/api/fleets", json=fleet(pattern=pattern))
        assert refused.status_code == 422 and refused.json()["field"] == "pattern", pattern
    one = ok(coordinator.post("/api/fleets", json=fleet(count=1, pattern="Ambulance A",
                                                        kind="ambulance")), 201)
    assert one["vehicle_ids"] == ["f1-1"]


def test_a_route_stop_of_the_wrong_kind_is_refused_on_its_field(api) -> None:
    coordinator = api.as_("coordinator")
    set_up(coordinator)
    refused = coordinator.post("/api/routes", json={
        "route_id": "r2", "name": "Wrong", "origin_id": "gp",
        "checkpoint_ids": ["cp1", "rc"], "destination_id": "rc"})
    assert refused.status_code == 422 and refused.json()["field"] == "checkpoint_ids.1"
    refused = coordinator.post("/api/routes", json={
        "route_id": "r2", "name": "Wrong", "origin_id": "cp1", "checkpoint_ids": [],
        "destination_id": "nowhere"})
    assert refused.json()["field"] == "origin_id"
    held = coordinator.post("/api/locations", json={
        "location_id": "rc2", "kind": "reception", "name": "Idlib", "latitude": 35.9,
        "longitude": 36.6, "held_by": "nobody"})
    assert held.status_code == 422 and held.json()["field"] == "held_by"


def test_decisions_about_a_convoy_follow_its_state(api) -> None:
    coordinator, registrar = api.as_("coordinator"), api.as_("registrar")
    set_up(coordinator)
    empty = coordinator.post("/api/convoys/c1/departure")
    assert empty.status_code == 409 and empty.json()["field"] == "aboard"
    register(registrar, 2, token="F-1")
    ok(registrar.post("/api/vehicles/bus1/boarding", json={"token": "F-1"}))
    assert coordinator.post("/api/convoys/c1/release", json={}).json()["field"] == "state"
    ok(coordinator.post("/api/convoys/c1/departure"))
    again = coordinator.post("/api/convoys/c1/departure")
    assert again.status_code == 409 and again.json()["field"] == "state"
    off_route = coordinator.post("/api/convoys/c1/hold", json={"reason": "shelling",
                                                               "location_id": "nowhere"})
    assert off_route.status_code == 422 and off_route.json()["field"] == "location_id"
    assert coordinator.post("/api/convoys/c1/abort", json={"reason": "x"}).status_code == 409
    ok(coordinator.post("/api/convoys/c1/hold", json={"reason": "shelling",
                                                      "location_id": "cp1"}))
    ok(coordinator.post("/api/convoys/c1/turn-back", json={"reason": "road cut"}))
    ok(coordinator.post("/api/convoys/c1/return"))
    assert ok(coordinator.get("/api/convoys"))[0]["state"] == "returned"
