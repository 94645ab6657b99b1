"""Finding people across spellings: search, requests, duplicates, protection."""

from __future__ import annotations

from datetime import timedelta

from operation_setup import ok, set_up
from sqlalchemy import select

from corridor.services.limits import Limit
from corridor.storage.projection_store import snapshot
from corridor.storage.schema import audit_log


def household(client, members, token=None, gathering_point="gp"):
    body = {"gathering_point_id": gathering_point, "members": members}
    if token:
        body["token"] = token
    return ok(client.post("/api/households", json=body), 201)["person_ids"]


def person(given, father=None, family=None, born=None, sex="male"):
    return {"given_name": given, "father_name": father, "family_name": family,
            "birth_year": born, "sex": sex, "consent": True}


def search(client, name, **extra):
    return ok(client.post("/api/tracing/search",
                          json={"name": name, "reason": "family asking at reception", **extra}))


def test_a_search_in_either_script_finds_the_person_registered_in_the_other(api) -> None:
    coordinator, registrar, tracer = (api.as_(r) for r in
                                      ("coordinator", "registrar", "tracing_officer"))
    set_up(coordinator)
    [latin] = household(registrar, [person("Mohammed", "Ahmad", "al-Hassan", 1985)])
    [arabic] = household(registrar, [person("عبد الرحمن", "خالد", "الحلبي", 2001)])
    household(registrar, [person("Fatima", "Omar", "Haddad", 1990, "female")])

    found = search(tracer, "محمد الحسن", born=1985)
    assert found[0]["person_id"] == latin
    assert "birth_year" in found[0]["agreed"]
    found = search(tracer, "Abd al-Rahman", born=2001)
    assert found[0]["person_id"] == arabic
    assert found[0]["status"] == "waiting"  # a tracing officer sees whereabouts


def test_a_namesake_with_a_different_father_ranks_below_the_true_match(api) -> None:
    coordinator, registrar, tracer = (api.as_(r) for r in
                                      ("coordinator", "registrar", "tracing_officer"))
    set_up(coordinator)
    [namesake] = household(registrar, [person("Muhammad", "Yusuf", "Alhasan", 1985)])
    [true] = household(registrar, [person("Mohammed", "Ahmad", "al-Hassan", 1985)])
    found = search(tracer, "Mhd El Hassan", father_name="Ahmed", born=1985)
    ranked = [f["person_id"] for f in found]
    assert ranked.index(true) < ranked.index(namesake)
    assert "father_name" in found[ranked.index(namesake)]["disagreed"]


def test_a_request_filed_before_arrival_is_matched_at_check_in(api) -> None:
    coordinator, registrar, tracer = (api.as_(r) for r in
                                      ("coordinator", "registrar", "tracing_officer"))
    reception = api.as_("reception")
    set_up(coordinator)
    filed = ok(reception.post("/api/tracing/requests", json={
        "sought": {"name": "Abd al-Rahman", "born": 2001, "sex": "male"},
        "requester_name": "Amal", "relationship": "mother", "contact": "Atareb reception",
        "consent": True}), 201)
    request_id = filed["request_id"]
    assert ok(tracer.get(f"/api/tracing/requests/{request_id}"))["candidates"] == []

    [son] = household(registrar, [person("عبدالرحمن", "خالد", "الحلبي", 2000)], token="F-9")
    ok(registrar.post("/api/vehicles/bus1/boarding", json={"token": "F-9"}))
    ok(coordinator.post("/api/convoys/c1/departure"))
    ok(reception.post("/api/vehicles/bus1/arrival", json={"location_id": "rc"}))
    ok(reception.post(f"/api/persons/{son}/check-in", json={"location_id": "rc"}))

    view = ok(tracer.get(f"/api/tracing/requests/{request_id}"))
    [candidate] = view["candidates"]
    assert candidate["person_id"] == son and candidate["since_filed"] is True
    assert (candidate["status"], candidate["location_id"]) == ("arrived", "rc")
    [listed] = ok(tracer.get("/api/tracing/requests"))
    assert listed["news"] is True and listed["candidates"] == 1

    ok(tracer.post(f"/api/tracing/requests/{request_id}/reviews",
                   json={"person_id": son, "decision": "confirmed"}))
    ok(tracer.post(f"/api/tracing/requests/{request_id}/closure",
                   json={"outcome": "found", "person_id": son, "note": "mother told"}))
    assert ok(tracer.get("/api/tracing/requests")) == []
    closed = ok(tracer.get(f"/api/tracing/requests/{request_id}"))["request"]
    assert (closed["status"], closed["outcome"]) == ("closed", "found")


def test_a_request_needs_the_requesters_consent(api) -> None:
    set_up(api.as_("coordinator"))
    response = api.as_("reception").post("/api/tracing/requests", json={
        "sought": {"name": "Omar"}, "requester_name": "Amal", "relationship": "sister",
        "contact": "here", "consent": False})
    assert response.status_code == 422 and response.json()["field"] == "consent"


def test_merge_then_unmerge_restores_both_records(api, engine) -> None:
    coordinator, registrar, tracer = (api.as_(r) for r in
                                      ("coordinator", "registrar", "tracing_officer"))
    set_up(coordinator)
    ok(coordinator.post("/api/locations", json={
        "location_id": "gp2", "kind": "gathering_point", "name": "Sukkari",
        "latitude": 36.18, "longitude": 37.15}), 201)
    [first] = household(registrar, [person("Mohammed", "Ahmad", "al-Hassan", 1985)], "F-1")
    [second] = household(registrar, [person("محمد", "أحمد", "الحسن", 1985)], "F-2", "gp2")
    ok(registrar.post("/api/vehicles/bus1/boarding", json={"token": "F-2"}))

    queue = ok(tracer.get("/api/duplicates"))
    assert {queue[0]["person"]["person_id"], queue[0]["other"]["person_id"]} == {first, second}
    with engine.connect() as conn:
        before = snapshot(conn)
    assert ok(coordinator.get("/api/operation"))["counts"]["registered"] == 2

    # The boarded record is kept whichever way round the reviewer names them.
    merged = ok(tracer.post("/api/duplicates/decisions", json={
        "person_id": first, "other_id": second, "decision": "same"}))
    assert (merged["kept_id"], merged["merged_id"]) == (second, first)
    assert ok(coordinator.get("/api/operation"))["counts"]["registered"] == 1
    assert ok(tracer.get("/api/duplicates")) == []
    assert [f["person_id"] for f in search(tracer, "Mohammed al-Hassan")] == [second]

    ok(tracer.post("/api/duplicates/unmerge", json={"person_id": second, "other_id": first}))
    with engine.connect() as conn:
        after = snapshot(conn)
    assert after["persons"] == before["persons"]
    assert ok(coordinator.get("/api/operation"))["counts"]["registered"] == 2
    assert len(ok(tracer.get("/api/duplicates"))) == 1  # back in the queue, undecided


def test_every_search_is_audited_rate_limited_and_refused_to_partners(api, app) -> None:
    coordinator, registrar, tracer = (api.as_(r) for r in
                                      ("coordinator", "registrar", "tracing_officer"))
    set_up(coordinator)
    household(registrar, [person("Omar", "Ali", "Nasser", 1970)])
    assert api.as_("partner").post("/api/tracing/search", json={
        "name": "Omar", "reason": "curious"}).status_code == 403
    search(tracer, "Omar Nasser", born=1970)
    with api.engine.connect() as conn:
        rows = conn.execute(select(audit_log).where(audit_log.c.action == "trace search")).all()
    assert len(rows) == 1 and rows[0].username == "tracing-officer"
    assert "Omar Nasser" in rows[0].subject and "family asking at reception" in rows[0].subject

    app.state.corridor.tracing.limit = Limit("few searches", 2, timedelta(seconds=60))
    search(tracer, "Omar")
    search(tracer, "Omar")
    refused = tracer.post("/api/tracing/search", json={"name": "Omar", "reason": "again"})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0


def test_registrars_search_without_seeing_whereabouts(api) -> None:
    coordinator, registrar = api.as_("coordinator"), api.as_("registrar")
    set_up(coordinator)
    household(registrar, [person("Omar", "Ali", "Nasser", 1970)])
    [found] = search(registrar, "Omar Nasser")
    assert "status" not in found and "location_id" not in found
