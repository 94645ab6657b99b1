"""One set of use cases: the API, the web UI, the importer and a device's push meet the
same rules, because each calls the same use case or the same fold. A rule broken
through the API or the web is refused naming the field, and nothing is recorded; the
same fact pushed from a phone is kept, as a conflict for a coordinator."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from operation_setup import ok, register, set_up
from sqlalchemy import Engine, func, select
from web_server import PASSWORD

from corridor.services.importing import import_households
from corridor.services.ledger import Ledger, Principal
from corridor.storage.schema import events

MEMBER = {"given_name": "Amal", "family_name": "Haddad", "sex": "female", "consent": True}


def event_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(events)).scalar_one())


def problem(response, status: int, field: str | None) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body.get("field") == field
    return str(body["detail"])


@pytest.mark.parametrize(("household", "status", "field", "said"), [
    ({"gathering_point_id": "cp1"}, 422, "gathering_point_id", "not a gathering point"),
    ({"gathering_point_id": "nowhere"}, 422, "gathering_point_id", "is not known"),
    ({"members": [MEMBER, {**MEMBER, "destination_id": "cp1"}]}, 422,
     "members.1.destination_id", "not a reception or hospital"),
    ({"members": [{**MEMBER, "birth_year": 1700}]}, 422, "members.0.birth_year", ""),
    ({"members": [{**MEMBER, "age": 400}]}, 422, "members.0.age", ""),
    ({"members": [{**MEMBER, "needs": ["flying"]}]}, 422, "members.0.needs.0", ""),
])
def test_a_registration_breaking_a_rule_is_refused_naming_the_field(
        api, engine: Engine, household: dict, status: int, field: str, said: str) -> None:
    set_up(api.as_("coordinator"))
    before = event_count(engine)
    body = {"gathering_point_id": "gp", "members": [MEMBER], **household}
    detail = problem(api.as_("registrar").post("/api/households", json=body), status, field)
    assert said in detail
    assert event_count(engine) == before


def test_a_person_already_registered_is_a_clash_and_no_empty_household_is_left(
        api, engine: Engine) -> None:
    registrar = api.as_("registrar")
    set_up(api.as_("coordinator"))
    [person_id] = register(registrar, 1)
    before = event_count(engine)
    again = {"gathering_point_id": "gp", "members": [{**MEMBER, "person_id": person_id}]}
    detail = problem(registrar.post("/api/households", json=again), 409, "members.0.person_id")
    assert detail == f"person {person_id} is already registered"
    assert event_count(engine) == before
    households = ok(api.as_("coordinator").get("/api/operation"))["counts"]
    assert households["registered"] == 1


def test_a_token_in_use_is_a_clash(api) -> None:
    registrar = api.as_("registrar")
    set_up(api.as_("coordinator"))
    register(registrar, 1, token="F-1")
    body = {"gathering_point_id": "gp", "token": "F-1", "members": [MEMBER]}
    assert "already belongs" in problem(registrar.post("/api/households", json=body), 409,
                                        "token")


def test_the_same_fact_pushed_from_a_phone_is_kept_as_a_conflict(api, engine: Engine) -> None:
    registrar = api.as_("registrar")
    set_up(api.as_("coordinator"))
    event = {"id": str(uuid.uuid4()), "type": "HouseholdRegistered", "device_id": "phone-1",
             "author": "registrar", "recorded_at": datetime.now(UTC).isoformat(),
             "payload": {"household_id": "h-pushed", "gathering_point_id": "gp", "members": [
                 {**MEMBER, "person_id": "p-pushed", "destination_id": "cp1"}]}}
    receipt = ok(registrar.post("/api/sync/push", json={"events": [event]}))["receipts"][0]
    assert receipt["status"] == "accepted"
    conflicts = ok(api.as_("coordinator").get("/api/conflicts"))
    assert [(c["event_id"], c["reason"], c["applied"]) for c in conflicts] == [
        (event["id"], "cp1 is a checkpoint, not a reception or hospital", True)]
    assert ok(api.as_("coordinator").get("/api/persons/p-pushed"))["status"] == "waiting"


def test_the_importer_reports_the_rule_the_api_refuses(api, engine: Engine,
                                                       tmp_path: Path) -> None:
    set_up(api.as_("coordinator"))
    listed = tmp_path / "households.csv"
    listed.write_text("household,gathering_point_id,token,given_name,father_name,family_name,"
                      "sex,birth_year,age,needs,consent,destination_id\n"
                      "H1,gp,,Amal,,Haddad,f,1990,,,yes,cp1\n", encoding="utf-8")
    report = import_households(Ledger(engine), Principal("coordinator", "coordinator"), listed)
    body = {"gathering_point_id": "gp", "members": [{**MEMBER, "destination_id": "cp1"}]}
    detail = problem(api.as_("registrar").post("/api/households", json=body), 422,
                     "members.0.destination_id")
    assert [(e.line, e.field, e.message) for e in report.errors] == [
        (2, "destination_id", detail)]


def test_an_empty_resolution_note_is_refused_naming_it(api) -> None:
    set_up(api.as_("coordinator"))
    answer = api.as_("coordinator").post("/api/alerts/headcount:c1:bus1:cp1/resolution",
                                         json={"note": ""})
    problem(answer, 422, "note")


def test_a_tracing_request_needs_consent_and_a_real_origin(api) -> None:
    set_up(api.as_("coordinator"))
    tracing = api.as_("tracing_officer")
    request = {"sought": {"name": "Omar Haddad"}, "requester_name": "Layla",
               "relationship": "sister", "contact": "via reception", "consent": False}
    problem(tracing.post("/api/tracing/requests", json=request), 422, "consent")
    request |= {"consent": True, "sought": {"name": "Omar Haddad", "origin": "rc"}}
    assert "not a gathering point" in problem(
        tracing.post("/api/tracing/requests", json=request), 422, "origin")
    search = {"name": "Omar", "origin": "rc", "reason": "his sister asked at reception"}
    problem(tracing.post("/api/tracing/search", json=search), 422, "origin")


def test_the_web_form_refuses_what_the_api_refuses_on_the_same_field(site) -> None:
    """The registration form calls the same use case: a checkpoint chosen as the
    second member's destination is marked on that row, and nothing is recorded."""
    set_up(site.api("coordinator"))
    browser = TestClient(site.app, raise_server_exceptions=False)
    token = re.search(r'name="csrf" value="([^"]+)"', browser.get("/login").text)
    assert token
    browser.post("/login", data={"username": "registrar", "password": PASSWORD,
                                 "csrf": token.group(1)})
    form = browser.get("/register")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf
    recorded = site.event_count()
    answer = browser.post("/register", data={
        "csrf": csrf.group(1), "action": "register", "rows": "2", "gathering_point_id": "gp",
        "m0.given_name": "Amal", "m0.sex": "female", "m1.given_name": "Omar",
        "m1.sex": "male", "m1.destination_id": "cp1"})
    assert answer.status_code == 422
    assert 'data-error-for="m1.destination_id"' in answer.text
    assert 'data-error-for="m0.destination_id"' not in answer.text
    assert site.event_count() == recorded


def test_a_removal_off_the_vehicles_route_is_refused_as_a_command_and_kept_from_a_phone(
        api, engine: Engine) -> None:
    coordinator, monitor = api.as_("coordinator"), api.as_("checkpoint_monitor")
    set_up(coordinator)
    ok(coordinator.post("/api/locations", json={
        "location_id": "cp9", "kind": "checkpoint", "name": "Elsewhere", "latitude": 36.2,
        "longitude": 37.2}), 201)
    first, second = register(api.as_("registrar"), 2, token="F-1")
    ok(api.as_("registrar").post("/api/vehicles/bus1/boarding", json={"token": "F-1"}))
    ok(coordinator.post("/api/convoys/c1/departure"))
    before = event_count(engine)
    removal = {"checkpoint_id": "cp9", "reason": "detained", "removed_by": "unknown"}
    detail = problem(monitor.post(f"/api/persons/{first}/removal", json=removal), 409, None)
    assert detail == "cp9 is not on the route of convoy c1"
    assert event_count(engine) == before

    pushed = {"id": str(uuid.uuid4()), "type": "PersonRemoved", "device_id": "phone-2",
              "author": "checkpoint-monitor", "recorded_at": datetime.now(UTC).isoformat(),
              "payload": {"person_id": second, **removal}}
    assert ok(monitor.post("/api/sync/push", json={"events": [pushed]}))["receipts"][0][
        "status"] == "accepted"
    conflicts = ok(coordinator.get("/api/conflicts"))
    assert [(c["event_id"], c["reason"]) for c in conflicts] == [
        (pushed["id"], "cp9 is not on the route of convoy c1")]
    assert ok(coordinator.get(f"/api/persons/{second}"))["status"] == "removed"
