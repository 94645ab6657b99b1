"""What the field app asks of the server besides sync: who its account is (/api/me),
the server's time in every sync answer, and its stores' reports — an account's new
store learns of the earlier ones that stopped, audited. On SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from conftest import PASSWORD
from fastapi.testclient import TestClient
from operation_setup import ok, set_up
from sqlalchemy import Engine, select

from corridor.services.access import add_user, issue_token
from corridor.storage.schema import audit_log


def phone(app: Any, engine: Engine, name: str, role: str = "registrar",
          post: str | None = "gp") -> TestClient:
    add_user(engine, name, role, PASSWORD, post)
    client = TestClient(app, raise_server_exceptions=False)
    client.headers["Authorization"] = "Bearer " + issue_token(engine, name, "phone 7")
    return client


def report(store: str, unsent: int = 0, **extra: Any) -> dict[str, Any]:
    return {"device_id": "phone-7", "store_id": store, "unsent": unsent,
            "oldest_unsent_at": "2026-12-07T10:00:00+02:00" if unsent else None,
            "newest_recorded_at": "2026-12-07T10:05:00+02:00", **extra}


def recent(moment: str) -> bool:
    return abs((datetime.fromisoformat(moment) - datetime.now().astimezone())
               .total_seconds()) < 300


def test_me_names_the_account_its_post_operation_and_the_server(app, engine: Engine,
                                                                api) -> None:
    set_up(api.as_("coordinator"))
    amal = phone(app, engine, "amal")
    me = ok(amal.get("/api/me"))
    assert {k: me[k] for k in ("username", "role", "post_id", "device_id", "operation")} == {
        "username": "amal", "role": "registrar", "post_id": "gp", "device_id": "phone-7",
        "operation": {"name": "Test operation", "illustrative": False}}
    assert me["post"] == {"location_id": "gp", "kind": "gathering_point", "name": "Amiriyah"}
    assert recent(me["server_time"]) and len(me["epoch"]) == 36
    unposted = ok(phone(app, engine, "sami", "coordinator", None).get("/api/me"))
    assert unposted["post"] is None and unposted["post_id"] is None
    assert TestClient(app).get("/api/me").status_code == 401


def test_push_and_scope_answers_carry_the_server_time(app, engine: Engine, api) -> None:
    set_up(api.as_("coordinator"))
    amal = phone(app, engine, "amal")
    pushed = ok(amal.post("/api/sync/push", json={"events": []}))
    pulled = ok(amal.get("/api/sync/scope"))
    assert recent(pushed["server_time"]) and recent(pulled["server_time"])
    assert pushed["epoch"] == pulled["epoch"]


def test_a_new_store_learns_of_the_earlier_open_ones(app, engine: Engine, api) -> None:
    set_up(api.as_("coordinator"))
    amal = phone(app, engine, "amal")
    first, second, third = (str(uuid.uuid4()) for _ in range(3))
    assert ok(amal.post("/api/sync/device", json=report(first))) | {"server_time": ""} == {
        "new": True, "earlier": [], "server_time": ""}
    again = ok(amal.post("/api/sync/device", json=report(first, unsent=3)))
    assert again["new"] is False and again["earlier"] == []

    answer = ok(amal.post("/api/sync/device", json=report(second)))  # site data cleared
    assert answer["new"] is True
    [earlier] = answer["earlier"]
    assert earlier["store_id"] == first and earlier["unsent"] == 3
    assert earlier["oldest_unsent_at"] == "2026-12-07T10:00:00+02:00"
    assert recent(earlier["reported_at"]) and recent(earlier["created_at"])

    # Signed out on purpose: not an earlier store to worry about.
    ok(amal.post("/api/sync/device", json=report(first, closed=True)))
    ok(amal.post("/api/sync/device", json=report(second, closed=True)))
    assert ok(amal.post("/api/sync/device", json=report(third)))["earlier"] == []
    with engine.connect() as conn:
        subjects = list(conn.execute(select(audit_log.c.subject).where(
            audit_log.c.username == "amal", audit_log.c.action == "device: new store")
            .order_by(audit_log.c.id)).scalars())
    assert len(subjects) == 3
    assert subjects[1] == (f"store {second} on phone-7; 1 earlier open stores, "
                           "3 unsent events in them")


def test_reports_are_checked_and_stores_are_their_account_s(app, engine: Engine, api) -> None:
    set_up(api.as_("coordinator"))
    amal, huda = phone(app, engine, "amal"), phone(app, engine, "huda")
    store = str(uuid.uuid4())
    ok(amal.post("/api/sync/device", json=report(store)))
    taken = huda.post("/api/sync/device", json=report(store))
    assert taken.status_code == 422 and taken.json()["field"] == "store_id"
    for bad, field in ((report("not-a-uuid"), "store_id"), (report(store, unsent=-1), "unsent"),
                       ({**report(store), "name": "Mariam"}, "name"),
                       (report(store, device_id="phone\u0000"), "device_id"),
                       (report(store, newest_recorded_at="yesterday"), "newest_recorded_at")):
        answer = amal.post("/api/sync/device", json=bad)
        assert answer.status_code == 422, bad
        assert field in answer.text
    partner = phone(app, engine, "observer", "partner", None)
    assert partner.post("/api/sync/device", json=report(str(uuid.uuid4()))).status_code == 403
