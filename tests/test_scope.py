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
    set_post(engine, "monitor-cp1", "cp9", by="admin")
    assert ids(ok(monitor.get("/api/persons"))) == set(people["C"])

    with engine.connect() as conn:
        actions = conn.execute(select(audit_log.c.action).where(
            audit_log.c.username == "monitor-cp1")).scalars().all()
    assert actions.count("list persons") == 2 and "view manifest" in actions
    with engine.connect() as conn:
        moved = conn.execute(select(audit_log.c.username, audit_log.c.subject).where(
            audit_log.c.action == "account: stationed at cp9")).all()
    assert [tuple(row) for row in moved] == [("admin", "monitor-cp1")]


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
    set_post(engine, "registrar-gp", "gp2", by="admin")
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


# --- the matrix: every GET route of the app × every role, against the table --------------

def _walk(routes: list[Any]) -> list[Any]:
    """The app's routes, with those of included routers."""
    found = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        found += _walk(inner.routes) if inner is not None else [route]
    return found


def _records(shape_of: str, body: Any) -> list[tuple[str, dict[str, Any]]]:
    """The records of each kind an answer holds, by how the route answers."""
    def each(kind: str, rows: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
        return [(kind, row) for row in rows]

    if shape_of in ("person", "operation_counts", "household"):
        if shape_of == "person":
            return [("person", body)]
        if shape_of == "household":
            return [("household", body), *each("person", body["members"])]
        return [("operation", body["operation"]), ("counts", body["counts"])]
    if shape_of == "manifest":
        return [("manifest", body), ("vehicle", body["vehicle"]), ("convoy", body["convoy"]),
                *each("person", body["persons"]), *each("passage", body["passages"])]
    if shape_of == "convoy":
        return [*each("convoy", body), *(r for c in body for r in each("convoy_vehicle",
                                                                       c["vehicles"]))]
    if shape_of == "persons":
        return each("person", body)
    if shape_of == "unaccounted":
        return [*each("person", body["persons"]), *each("alert", body["alerts"])]
    if shape_of == "scope":
        return [*each("person", body["persons"]), *each("household", body["households"]),
                *each("queue_entry", body["queue"] or []),
                *(r for v in body["vehicles"] for r in [("vehicle", v["vehicle"]),
                                                        *each("passage", v["passages"])]),
                *(("convoy", v["convoy"]) for v in body["vehicles"] if v["convoy"])]
    return each(shape_of, body)


def _matrix_routes() -> tuple[dict[str, tuple[frozenset[Role], str | None]],
                              dict[str, frozenset[Role]]]:
    from corridor.domain.permissions import (
        COORDINATES,
        HANDLES_REQUESTS,
        MAY_RECORD,
        PRINTS_TOKENS,
        PRINTS_VEHICLE_CARDS,
        PULLS_LEDGER,
        PULLS_SCOPE,
        SEARCHES,
    )
    from corridor.domain.visibility import READS

    everyone = frozenset(Role)
    reviewers = frozenset(r for r in Role if "DuplicateReviewed" in MAY_RECORD[r])
    registrars = frozenset(r for r in Role if "HouseholdRegistered" in MAY_RECORD[r])
    setters = frozenset(r for r in Role if "LocationAdded" in MAY_RECORD[r])
    api = {  # path: (roles allowed, the shape of the answer's records or None: no names)
        "/api/sync/pull": (PULLS_LEDGER, None), "/api/sync/scope": (PULLS_SCOPE, "scope"),
        "/api/operation": (everyone, "operation_counts"), "/api/locations": (everyone, None),
        "/api/parties": (everyone, None), "/api/convoys": (READS["convoy"], "convoy"),
        "/api/me": (everyone, None),  # the account asking, its post and operation
        "/api/households/{household_id}": (READS["household"], "household"),
        "/api/persons": (READS["person"], "persons"),
        "/api/persons/{person_id}": (READS["person"], "person"),
        "/api/boarding-queue": (READS["queue_entry"], "queue_entry"),
        "/api/vehicles/{vehicle_id}/manifest": (READS["manifest"], "manifest"),
        "/api/alerts": (READS["alert"], "alert"),
        "/api/unaccounted": (READS["unaccounted"], "unaccounted"),
        "/api/incidents": (READS["incident"], "incident"),
        "/api/conflicts": (READS["conflict"], "conflict"),
        "/api/rejects": (READS["reject"], "reject"),
        "/api/rejects/not-kept": (COORDINATES, None),
        # Who looked at a person (docs/audit.md): usernames and actions, no names.
        "/api/persons/{person_id}/reads": (COORDINATES, None),
        # The tracing desk's own reads (docs/tracing.md): role checks only here.
        "/api/tracing/requests": (HANDLES_REQUESTS, None),
        "/api/tracing/requests/{request_id}": (HANDLES_REQUESTS, None),
        "/api/duplicates": (reviewers, None),
    }
    web = {"/": everyone, "/convoys": everyone, "/convoys/{convoy_id}": everyone,
           "/incidents": everyone, "/register": registrars,
           "/vehicles/{vehicle_id}/manifest": READS["manifest"], "/alerts": READS["alert"],
           "/alerts/{alert_id}": READS["alert"],
           "/tracing": SEARCHES, "/tracing/requests": HANDLES_REQUESTS,
           "/tracing/requests/{request_id}": HANDLES_REQUESTS, "/duplicates": reviewers,
           "/admin/users": frozenset({Role.ADMIN}), "/admin/audit": frozenset({Role.ADMIN}),
           "/persons/{person_id}/reads": COORDINATES, "/conflicts": COORDINATES,
           "/codes/tokens": PRINTS_TOKENS, "/households/{household_id}/wristbands": PRINTS_TOKENS,
           "/convoys/{convoy_id}/vehicle-cards": PRINTS_VEHICLE_CARDS,
           "/setup": setters, "/setup/{step}": setters,
           "/convoys/{convoy_id}/control/{action}": COORDINATES}
    return api, web


NOT_DATA = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc", "/login",
            # The field app's shell: the same files for everyone, its data from the API.
            "/field", "/field/sw.js", "/field/manifest.webmanifest"}


def _signed_in(app: Any, username: str) -> TestClient:
    import re

    client = TestClient(app, raise_server_exceptions=False)
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
    assert csrf is not None
    signed = client.post("/login", data={"username": username, "password": PASSWORD,
                                         "csrf": csrf.group(1)}, follow_redirects=False)
    assert signed.status_code == 303, username
    return client


def test_every_get_route_answers_every_role_as_the_table_says(tmp_path) -> None:
    """SQLite: 7 roles × every GET route and page (the key cells run on PostgreSQL in the
    tests above)."""
    from conftest import Api

    from corridor.domain.visibility import FIELDS as TABLE
    from corridor.server import create_app
    from corridor.storage.database import connect, initialise

    engine = connect(str(tmp_path / "matrix.db"))
    initialise(engine)
    app = create_app(engine, secret="matrix")
    api = Api(app, engine)
    people = operation(api)
    coordinator = api.as_("coordinator")
    ok(coordinator.post("/api/incidents", json={
        "type": "medical", "occurred_at": "2016-12-15T10:00:00+02:00", "killed": 1,
        "reported_by": "Dr Hamza", "description": "Bushra fainted"}), 201)
    names = {"A": ["Amal", "Asma"], "B": ["Bushra"], "C": ["Celine", "Carim"], "D": ["Dima"]}
    posts = {Role.REGISTRAR: "gp", Role.CHECKPOINT_MONITOR: "cp1", Role.RECEPTION: "rc"}
    # Names each role must never be given: partners none; a field post, none outside its task.
    unseen = {Role.PARTNER: sum(names.values(), []),
              Role.REGISTRAR: names["C"] + names["D"],
              Role.CHECKPOINT_MONITOR: names["B"] + names["C"] + names["D"],
              Role.RECEPTION: names["B"] + names["C"] + names["D"]}
    household_id = ok(coordinator.get(f"/api/persons/{people['A'][0]}"))["household_id"]
    ids = {"person_id": people["A"][0], "household_id": household_id, "vehicle_id": "bus1",
           "request_id": "no-such-request", "convoy_id": "c1", "step": "vehicles",
           "action": "hold", "alert_id": "no-such-alert"}
    api_routes, web_routes = _matrix_routes()

    declared = set(api_routes) | set(web_routes) | NOT_DATA
    gets = {r.path for r in _walk(app.routes) if "GET" in (getattr(r, "methods", None) or ())}
    assert gets - declared == set(), "declare who may read these routes in this test"

    cells = 0
    for role in Role:
        name = "m-" + role.replace("_", "-")
        add_user(engine, name, role, PASSWORD, posts.get(role))
        bearer = TestClient(app, raise_server_exceptions=False)
        bearer.headers["Authorization"] = "Bearer " + issue_token(engine, name, "matrix")
        browser = _signed_in(app, name)
        for template, (allowed, shape_of) in api_routes.items():
            path = template.format(**ids)
            answer = bearer.get(path)
            cells += 1
            if role not in allowed:
                assert answer.status_code == 403, (role, path, answer.status_code)
                continue
            if "{request_id}" in template:
                assert answer.status_code == 404, (role, path)
                continue
            assert answer.status_code == 200, (role, path, answer.text)
            assert not [n for n in unseen.get(role, []) if n in answer.text], (role, path)
            for kind, record in _records(shape_of, answer.json()) if shape_of else []:
                may = {f for f, seen in TABLE[kind].items()
                       if role in seen.exact | seen.suppressed}
                assert set(record) <= may, (role, path, kind, set(record) - may)
                for field in set(record) & {f for f, s in TABLE[kind].items()
                                            if role in s.suppressed}:
                    value = record[field]
                    values = value.values() if isinstance(value, dict) else [value]
                    flat = [v for x in values for v in (x.values() if isinstance(x, dict)
                                                        else [x])]
                    # None: no such count yet (a vehicle not counted at any checkpoint).
                    assert all(v is None or v == "<5" or v % 5 == 0 for v in flat), \
                        (role, path, field)
        for template, allowed in web_routes.items():
            path = template.format(**ids)
            page = browser.get(path, follow_redirects=False)
            cells += 1
            if role not in allowed:
                assert page.status_code == 403, (role, path, page.status_code)
                continue
            expected = 404 if "{request_id}" in template or "{alert_id}" in template else 200
            assert page.status_code == expected, (role, path, page.status_code)
            assert not [n for n in unseen.get(role, []) if n in page.text], (role, path)
    assert cells == len(Role) * (len(api_routes) + len(web_routes))
    engine.dispose()
