"""Every kind of personal read leaves an audit row: the API's, the web UI's and the
command line's, each tried once on an operation with people, an alert, an incident,
a conflict, a reject and a tracing request in it.
The field accounts are stationed where the reads concern them (a registrar at the
gathering point, a monitor at the first checkpoint): elsewhere they would read nobody.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import PASSWORD
from fastapi.testclient import TestClient
from operation_setup import ok, register, set_up
from sqlalchemy import func, select
from typer.testing import CliRunner

from corridor.cli import app as cli
from corridor.services.access import set_post
from corridor.storage.schema import audit_log


class Scene:
    """An operation with every kind of personal record in it, and a way to make reads."""

    def __init__(self, api: Any, database_url: str, files: Path) -> None:
        self.api, self.database_url, self.files = api, database_url, files
        coordinator, registrar = api.as_("coordinator"), api.as_("registrar")
        set_post(api.engine, "registrar", "gp", by="admin")
        api.as_("checkpoint_monitor")
        set_post(api.engine, "checkpoint-monitor", "cp1", by="admin")
        set_up(coordinator)
        self.person = register(registrar, 3, token="F-1")[0]
        self.waiting = register(registrar, 2, token="F-2")[0]
        self.household = ok(coordinator.get(f"/api/persons/{self.person}"))["household_id"]
        ok(registrar.post("/api/vehicles/bus1/boarding", json={"token": "F-1"}))
        ok(coordinator.post("/api/convoys/c1/departure"))
        monitor = api.as_("checkpoint_monitor")
        ok(monitor.post("/api/vehicles/bus1/passages",
                        json={"checkpoint_id": "cp1", "headcount": 2}))  # an alert
        ok(monitor.post("/api/incidents", json={
            "type": "medical", "occurred_at": "2016-12-15T10:00:00Z", "reported_by": "driver",
            "description": "Person 0 Haddad fainted"}), 201)
        ok(monitor.post("/api/sync/push", json={"events": [
            {"id": str(uuid.uuid4()), "type": "PersonRemoved", "device_id": "phone-3",
             "author": "checkpoint-monitor", "recorded_at": "2016-12-15T11:00:00Z",
             "payload": {"person_id": "nobody", "checkpoint_id": "cp1", "reason": "other"}},
            {"id": "not-a-uuid", "type": "PersonRemoved"}]}))  # a conflict and a reject
        self.request = ok(api.as_("tracing_officer").post("/api/tracing/requests", json={
            "sought": {"name": "Person 1 Haddad"}, "requester_name": "Amal",
            "relationship": "sister", "contact": "+963 000", "consent": True}),
            201)["request_id"]
        self._web: dict[str, TestClient] = {}

    def web(self, role: str) -> TestClient:
        """A signed-in browser session for a role."""
        if role not in self._web:
            self.api.as_(role)  # the account
            client = TestClient(self.api.app, raise_server_exceptions=False)
            token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
            assert token is not None
            signed = client.post("/login", data={"username": role.replace("_", "-"),
                                                 "password": PASSWORD, "csrf": token.group(1)},
                                 follow_redirects=False)
            assert signed.status_code == 303, signed.text[:500]
            self._web[role] = client
        return self._web[role]

    def cli(self, *args: str) -> None:
        result = CliRunner().invoke(cli, [*args, "--database", self.database_url])
        assert result.exit_code == 0, result.output

    def audit_rows(self) -> int:
        with self.api.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(audit_log)).scalar_one())


def _get(role: str, path: str) -> Callable[[Scene], None]:
    return lambda s: ok(s.api.as_(role).get(path.format(s=s)))


def _shown(response: Any) -> None:
    assert response.status_code == 200, response.text[:500]


def _page(role: str, path: str) -> Callable[[Scene], None]:
    return lambda s: _shown(s.web(role).get(path.format(s=s)))


def _web_search(s: Scene) -> None:
    client = s.web("tracing_officer")
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/tracing").text)
    assert csrf is not None
    _shown(client.post("/tracing", data={"name": "Haddad", "reason": "sister asking",
                                         "tolerance": "2", "csrf": csrf.group(1)}))


def _export(what: str) -> Callable[[Scene], None]:
    return lambda s: s.cli("export", what, "--out", str(s.files / f"{what}.csv"))


READS: dict[str, Callable[[Scene], None]] = {
    "api: persons": _get("coordinator", "/api/persons"),
    "api: person": _get("registrar", "/api/persons/{s.waiting}"),
    "api: household": _get("registrar", "/api/households/{s.household}"),
    "api: manifest": _get("checkpoint_monitor", "/api/vehicles/bus1/manifest"),
    "api: unaccounted": _get("coordinator", "/api/unaccounted"),
    "api: alerts": _get("coordinator", "/api/alerts"),
    "api: incidents": _get("coordinator", "/api/incidents"),
    "api: conflicts": _get("coordinator", "/api/conflicts"),
    "api: rejects": _get("coordinator", "/api/rejects"),
    "api: boarding queue": _get("registrar", "/api/boarding-queue"),
    "api: sync pull": _get("admin", "/api/sync/pull"),
    "api: scoped pull": _get("registrar", "/api/sync/scope"),
    "api: tracing requests": _get("tracing_officer", "/api/tracing/requests"),
    "api: tracing request": _get("tracing_officer", "/api/tracing/requests/{s.request}"),
    "api: duplicate queue": _get("tracing_officer", "/api/duplicates"),
    "api: search": lambda s: ok(s.api.as_("tracing_officer").post("/api/tracing/search", json={
        "name": "Haddad", "reason": "sister asking"})),
    "api: who looked": _get("coordinator", "/api/persons/{s.person}/reads"),
    "web: alerts": _page("coordinator", "/alerts"),
    "web: incidents": _page("coordinator", "/incidents"),
    "web: manifest": _page("checkpoint_monitor", "/vehicles/bus1/manifest"),
    "web: household": _page("registrar", "/register?registered={s.household}"),
    "web: search": _web_search,
    "web: tracing requests": _page("tracing_officer", "/tracing/requests"),
    "web: tracing request": _page("tracing_officer", "/tracing/requests/{s.request}"),
    "web: duplicates": _page("tracing_officer", "/duplicates"),
    "web: audit log": _page("admin", "/admin/audit"),
    "web: who looked": _page("coordinator", "/persons/{s.person}/reads"),
    "cli: export persons": _export("persons"),
    "cli: export alerts": _export("alerts"),
    "cli: export incidents": _export("incidents"),
    "cli: export events": _export("events"),
    "cli: backup": lambda s: s.cli("backup", str(s.files / "ledger.jsonl")),
    "cli: trace": lambda s: s.cli("trace", "Haddad", "--reason", "sister asking"),
    "cli: duplicates": lambda s: s.cli("duplicates"),
    "cli: duplicates --batch": lambda s: s.cli("duplicates", "--batch"),
}


@pytest.mark.parametrize("kind", list(READS))
def test_every_personal_read_leaves_an_audit_row(api, database_url, tmp_path,
                                                 kind: str) -> None:
    scene = Scene(api, database_url, tmp_path)
    before = scene.audit_rows()
    READS[kind](scene)
    assert scene.audit_rows() > before, f"{kind} wrote no audit row"
