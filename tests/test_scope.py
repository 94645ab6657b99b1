"""Least data per role: field accounts read only their post's task, without whereabouts;
the scoped pull gives a device its task and what changed in it; the whole-ledger pull is
the administrator's. On SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import PASSWORD
from fastapi.testclient import TestClient
from operation_setup import ok, set_up
from sqlalchemy import Engine, select

from corridor.domain.visibility import FIELDS
from corridor.domain.vocabulary import Role
from corridor.services.access import add_user, issue_token, set_post
from corridor.storage.schema import audit_log

WHEREABOUTS = {"status", "vehicle_id", "location_id", "removal_reason", "removed_by",
               "status_at"}


def posted(app: Any, engine: Engine, name: str, role: str, post: str | None) -> TestClient:
    """A bearer-token client for an account stationed at `post`."""
    add_user(engine, name, role, PASSWORD, post)
    client = TestClient(app, raise_server_exceptions=False)
    client.headers["Authorization"] = "Bearer " + issue_token(engine, name, f"{name}-phone")
    return client


def second_corridor(coordinator: TestClient) -> None:
    """Another gathering point, checkpoint and reception, and convoy c2 of bus3."""
    for location_id, kind in (("gp2", "gathering_point"), ("cp9", "checkpoint"),
                              ("rc2", "reception")):
        ok(coordinator.post("/api/locations", json={
            "location_id": location_id, "kind": kind, "name": location_id.upper(),
            "latitude": 36.0, "longitude": 37.0}), 201)
    ok(coordinator.post("/api/routes", json={
        "route_id": "r2", "name": "GP2 to RC2", "origin_id": "gp2", "checkpoint_ids": ["cp9"],
        "destination_id": "rc2"}), 201)
    ok(coordinator.post("/api/vehicles", json={"vehicle_id": "bus3", "kind": "bus",
                                               "label": "Bus 3", "capacity": 50}), 201)
    ok(coordinator.post("/api/convoys", json={"convoy_id": "c2", "label": "Convoy 2",
                                              "route_id": "r2", "vehicle_ids": ["bus3"]}), 201)


def household(registrar: TestClient, point: str, token: str, *names: str) -> list[str]:
    members = [{"given_name": n, "family_name": "Haddad", "sex": "female", "birth_year": 1980,
                "consent": True} for n in names]
    return ok(registrar.post("/api/households", json={
        "gathering_point_id": point, "token": token, "members": members}), 201)["person_ids"]


def operation(api: Any) -> dict[str, list[str]]:
    """Two corridors: on the first, A boarded bus1 and B waits at gp; on the second, C
    boarded bus3 and D waits at gp2. Both convoys still planned."""
    coordinator = api.as_("coordinator")
    set_up(coordinator, vehicles=2)
    second_corridor(coordinator)
    people = {"A": household(coordinator, "gp", "A-1", "Amal", "Asma"),
              "B": household(coordinator, "gp", "B-1", "Bushra"),
              "C": household(coordinator, "gp2", "C-1", "Celine", "Carim"),
              "D": household(coordinator, "gp2", "D-1", "Dima")}
    ok(coordinator.post("/api/vehicles/bus1/boarding", json={"token": "A-1"}))
    ok(coordinator.post("/api/vehicles/bus3/boarding", json={"token": "C-1"}))
    return people


def ids(rows: list[dict[str, Any]]) -> set[str]:
    return {row["person_id"] for row in rows}


def test_a_field_account_lists_only_its_posts_task_and_no_whereabouts(api, app, engine) -> None:
    people = operation(api)
    monitor = posted(app, engine, "monitor-cp1", "checkpoint_monitor", "cp1")
    registrar = posted(app, engine, "registrar-gp", "registrar", "gp")
    reception = posted(app, engine, "reception-rc2", "reception", "rc2")
    nowhere = posted(app, engine, "monitor-nowhere", "checkpoint_monitor", None)

    # The review's attack: list everyone with a monitor's token.
    listed = ok(monitor.get("/api/persons", params={"limit": 1000}))
    assert ids(listed) == set(people["A"])  # on bus1, expected at cp1: nobody else
    assert not any(WHEREABOUTS & set(row) for row in listed)
    assert {"given_name", "family_name", "needs"} <= set(listed[0])
    assert ok(registrar.get("/api/persons")) and ids(ok(registrar.get("/api/persons"))) == \
        set(people["A"] + people["B"])  # boarding at gp, and waiting there
    assert ids(ok(reception.get("/api/persons"))) == set(people["C"])
    assert ok(nowhere.get("/api/persons")) == []  # no post, nobody
    everyone = ok(api.as_("coordinator").get("/api/persons"))
    assert len(everyone) == 6 and all("status" in row for row in everyone)

    # Filtering by status would reveal whereabouts; a record outside the task is unknown.
    refused = monitor.get("/api/persons", params={"status": "waiting"})
    assert refused.status_code == 403 and refused.json()["field"] == "status"
    assert monitor.get(f"/api/persons/{people['B'][0]}").status_code == 404
    assert set(ok(monitor.get(f"/api/persons/{people['A'][0]}"))) & WHEREABOUTS == set()
    assert monitor.get("/api/vehicles/bus3/manifest").status_code == 404
    manifest = ok(monitor.get("/api/vehicles/bus1/manifest"))
    assert ids(manifest["persons"]) == set(people["A"])
    assert not any(WHEREABOUTS & set(p) for p in manifest["persons"])
    assert registrar.get("/api/households/" + ok(api.as_("coordinator").get(
        f"/api/persons/{people['D'][0]}"))["household_id"]).status_code == 404
    assert monitor.get("/api/unaccounted").status_code == 403
    queue = ok(registrar.get("/api/boarding-queue"))
    assert [q["token"] for q in queue] == ["B-1"]
    assert registrar.get("/api/boarding-queue", params={"gathering_point_id": "gp2"}
                         ).status_code == 403

    # Moved to another post, the same token reads that post's task at once.
    set_post(engine, "monitor-cp1", "cp9")
    assert ids(ok(monitor.get("/api/persons"))) == set(people["C"])

    with engine.connect() as conn:
        actions = conn.execute(select(audit_log.c.action).where(
            audit_log.c.username == "monitor-cp1")).scalars().all()
    assert actions.count("list persons") == 2 and "view manifest" in actions


def test_partners_get_no_free_text_and_no_small_count(api) -> None:
    coordinator = api.as_("coordinator")
    set_up(coordinator)
    ok(coordinator.post("/api/convoys/c1/hold", json={"reason": "Shots near Salah al-Din"}))
    ok(coordinator.post("/api/incidents", json={
        "type": "shooting", "occurred_at": "2016-12-15T10:00:00+02:00", "killed": 1,
        "injured": 7, "reported_by": "Dr Hamza", "description": "sniper at the bend"}), 201)
    partner = api.as_("partner")
    incident = ok(partner.get("/api/incidents"))[0]
    assert incident["killed"] == "<5" and incident["injured"] == 5
    assert not {"reported_by", "description", "recorded_by"} & set(incident)
    convoy = ok(partner.get("/api/convoys"))[0]
    assert "reason" not in convoy and "Shots" not in str(convoy)
    assert ok(coordinator.get("/api/incidents"))[0]["killed"] == 1
    assert ok(coordinator.get("/api/convoys"))[0]["reason"] == "Shots near Salah al-Din"


def test_the_scoped_pull_gives_the_task_and_then_what_changed(api, app, engine) -> None:
    people = operation(api)
    coordinator = api.as_("coordinator")
    reception = posted(app, engine, "reception-rc", "reception", "rc")
    registrar = posted(app, engine, "registrar-gp", "registrar", "gp")

    first = ok(reception.get("/api/sync/scope"))
    assert first["full"] and first["post"] == "rc"
    assert ids(first["persons"]) == set(people["A"])
    assert {v["vehicle"]["vehicle_id"]: v["person_ids"] for v in first["vehicles"]} == {
        "bus1": people["A"], "bus2": []}
    assert not any(WHEREABOUTS & set(p) for p in first["persons"])
    assert first["households"] == [] and first["queue"] is None

    again = ok(reception.get("/api/sync/scope", params={"since": first["cursor"]}))
    assert not again["full"] and again["persons"] == [] and again["gone"]["persons"] == []

    ok(coordinator.post("/api/convoys/c1/departure"))
    ok(coordinator.post("/api/vehicles/bus1/arrival", json={"location_id": "rc"}))
    ok(coordinator.post(f"/api/persons/{people['A'][0]}/check-in", json={"location_id": "rc"}))
    later = ok(reception.get("/api/sync/scope", params={"since": first["cursor"]}))
    assert later["gone"]["persons"] == [people["A"][0]]  # checked in: no longer its task
    assert ids(later["persons"]) == {people["A"][1]}  # still to check in
    assert {v["vehicle"]["vehicle_id"]: v["person_ids"] for v in later["vehicles"]}["bus1"] \
        == [people["A"][1]]

    # The registrar: gp's waiting household and queue; bus1 left with the departure.
    mine = ok(registrar.get("/api/sync/scope"))
    assert ids(mine["persons"]) == set(people["B"]) and mine["vehicles"] == []
    assert [h["token"] for h in mine["households"]] == ["B-1"]
    assert [q["token"] for q in mine["queue"]] == ["B-1"]
    ok(coordinator.post(f"/api/persons/{people['B'][0]}/stay", json={}))
    after = ok(registrar.get("/api/sync/scope", params={"since": mine["cursor"]}))
    assert after["gone"]["persons"] == people["B"] and after["persons"] == []
    assert after["gone"]["households"] == [mine["households"][0]["household_id"]]
    assert after["queue"] == []

    # Moved to another post, an old cursor gets the new post's whole scope.
    set_post(engine, "registrar-gp", "gp2")
    moved = ok(registrar.get("/api/sync/scope", params={"since": after["cursor"]}))
    assert moved["full"] and ids(moved["persons"]) == set(people["C"] + people["D"])

    assert reception.get("/api/sync/scope", params={"since": "x:y"}).status_code == 422
    assert reception.get("/api/sync/scope", params={"since": "9" * 30}).status_code == 422
    assert coordinator.get("/api/sync/scope").status_code == 403
    with engine.connect() as conn:
        rows = conn.execute(select(audit_log.c.action, audit_log.c.subject).where(
            audit_log.c.username == "reception-rc")).all()
    # Every answer with names is on record; the one without names is not.
    assert [r.action for r in rows] == ["scoped pull", "scoped pull"]


def test_the_whole_ledger_pull_is_the_administrators_and_audited(api, engine) -> None:
    set_up(api.as_("coordinator"))
    for role in ("registrar", "checkpoint_monitor", "reception", "coordinator", "partner",
                 "tracing_officer"):
        assert api.as_(role).get("/api/sync/pull").status_code == 403, role
    pulled = ok(api.as_("admin").get("/api/sync/pull"))
    assert pulled["events"]
    with engine.connect() as conn:
        action, subject = conn.execute(select(audit_log.c.action, audit_log.c.subject)
                                       .where(audit_log.c.username == "admin")).one()
    assert action == "ledger pull" and subject.endswith(f"{len(pulled['events'])} events")


# Free text and names: never a partner's, in any kind of record.
PARTNER_NEVER = {"given_name", "father_name", "family_name", "reported_by", "reason", "note",
                 "resolution", "person_ids", "token", "body", "removed_by", "recorded_by",
                 "contact", "requester_name"}


@pytest.mark.parametrize("kind", sorted(FIELDS))
def test_the_table_keeps_whereabouts_and_free_text_from_those_without_them(kind: str) -> None:
    staff_only = PARTNER_NEVER | ({"description"} if kind == "incident" else set())
    for name, seen in FIELDS[kind].items():
        if kind == "person" and name in WHEREABOUTS:
            assert seen.exact == {Role.ADMIN, Role.COORDINATOR, Role.TRACING_OFFICER}, name
        if name in staff_only:
            assert Role.PARTNER not in seen.exact | seen.suppressed, (kind, name)
