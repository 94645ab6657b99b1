"""The app served over real HTTP for the browser tests, and the operation they use.

uvicorn runs in a background thread on 127.0.0.1 with a port the OS picks; the
test builds data through the API (a TestClient against the same app, so the same
ledger) while Chromium talks to the server.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from operation_setup import ok
from playwright.sync_api import Page, expect
from sqlalchemy import Engine, func, select

from corridor.domain.vocabulary import Role
from corridor.services.access import add_user, issue_token
from corridor.storage.schema import audit_log, events

PASSWORD = "correct horse battery"


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


# Where the field accounts are stationed, on the operation `open_operation` sets up.
POSTS = {Role.REGISTRAR: "gp", Role.CHECKPOINT_MONITOR: "cp1", Role.RECEPTION: "rc"}


def username(role: str) -> str:
    return role.replace("_", "-")


@dataclass
class Site:
    url: str
    app: FastAPI
    engine: Engine
    _clients: dict[str, TestClient] = field(default_factory=dict)

    @classmethod
    def with_users(cls, url: str, app: FastAPI, engine: Engine) -> Site:
        for role in Role:
            add_user(engine, username(role), role, PASSWORD, POSTS.get(role))
        return cls(url, app, engine)

    def api(self, role: str) -> TestClient:
        """A bearer-token API client for a role, to set the scene."""
        if role not in self._clients:
            client = TestClient(self.app, raise_server_exceptions=False)
            token = issue_token(self.engine, username(role), f"{role}-test")
            client.headers["Authorization"] = "Bearer " + token
            self._clients[role] = client
        return self._clients[role]

    def event_count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(events)).scalar_one())

    def audited(self, user: str) -> list[str]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(audit_log.c.action)
                                     .where(audit_log.c.username == user)).scalars())


def open_operation(site: Site, illustrative: bool) -> None:
    """Gathering point → checkpoint → crossing → reception; convoy c1 of two buses."""
    co = site.api("coordinator")
    ok(co.post("/api/operation", json={"name": "Aleppo evacuation", "illustrative": illustrative}),
       201)
    places = [("gp", "gathering_point", "Amiriyah"), ("cp1", "checkpoint", "Salah al-Din"),
              ("cp2", "crossing", "Ramouseh"), ("rc", "reception", "Atareb"),
              ("hosp", "hospital", "Bab al-Hawa hospital")]
    for location_id, kind, name in places:
        ok(co.post("/api/locations", json={"location_id": location_id, "kind": kind,
                                           "name": name, "latitude": 36.1, "longitude": 37.1}),
           201)
    ok(co.post("/api/routes", json={"route_id": "r1", "name": "Amiriyah to Atareb",
                                    "origin_id": "gp", "checkpoint_ids": ["cp1", "cp2"],
                                    "destination_id": "rc"}), 201)
    for n in (1, 2, 3):
        ok(co.post("/api/vehicles", json={"vehicle_id": f"bus{n}", "kind": "bus",
                                          "label": f"Bus {n}", "capacity": 40}), 201)
    ok(co.post("/api/convoys", json={"convoy_id": "c1", "label": "Convoy 1", "route_id": "r1",
                                     "vehicle_ids": ["bus1", "bus2"]}), 201)


def register(site: Site, token: str, family: str, given: list[str]) -> dict[str, str]:
    """A household; returns person ids by given name."""
    members = [{"given_name": name, "family_name": family, "sex": "female",
                "birth_year": 1980 + i, "consent": True} for i, name in enumerate(given)]
    members[0]["needs"] = ["elderly"]
    body: dict[str, Any] = {"gathering_point_id": "gp", "token": token, "members": members}
    ids = ok(site.api("registrar").post("/api/households", json=body), 201)["person_ids"]
    return dict(zip(given, ids, strict=True))


# The journey every status comes from (9 people):
# - Haddad (4) on Bus 1: counted 3 of 4 at the checkpoint, Huda removed at the crossing,
#   arrives; Mariam and Yusuf check in, Karim does not (unaccounted).
# - Khalil (3) on Bus 2, past the checkpoint, still on board.
# - Nasser (2): Salma waits, Rami chose to stay.
EXPECTED = {"waiting": 1, "on_vehicle": 3, "arrived": 2, "removed": 1, "stayed": 1,
            "unaccounted": 1}


def journey(site: Site, illustrative: bool = False) -> dict[str, str]:
    open_operation(site, illustrative)
    people = register(site, "F-1", "Haddad", ["Mariam", "Yusuf", "Huda", "Karim"])
    people |= register(site, "F-2", "Khalil", ["Layla", "Omar", "Nour"])
    people |= register(site, "F-3", "Nasser", ["Salma", "Rami"])
    registrar, co = site.api("registrar"), site.api("coordinator")
    monitor, reception = site.api("checkpoint_monitor"), site.api("reception")
    ok(registrar.post("/api/vehicles/bus1/boarding", json={"token": "F-1"}))
    ok(registrar.post("/api/vehicles/bus2/boarding", json={"token": "F-2"}))
    ok(registrar.post(f"/api/persons/{people['Rami']}/stay", json={"note": "stays with land"}))
    ok(co.post("/api/convoys/c1/departure"))
    ok(monitor.post("/api/vehicles/bus1/passages", json={"checkpoint_id": "cp1", "headcount": 3}))
    ok(monitor.post("/api/vehicles/bus2/passages", json={"checkpoint_id": "cp1", "headcount": 3}))
    ok(monitor.post("/api/vehicles/bus1/passages", json={"checkpoint_id": "cp2", "headcount": 3}))
    ok(monitor.post(f"/api/persons/{people['Huda']}/removal",
                    json={"checkpoint_id": "cp2", "reason": "detained"}))
    ok(reception.post("/api/vehicles/bus1/arrival", json={"location_id": "rc"}))
    for name in ("Mariam", "Yusuf"):
        ok(reception.post(f"/api/persons/{people[name]}/check-in", json={"location_id": "rc"}))
    return people


def sign_in(page: Page, role: str) -> None:
    page.goto("/login")
    page.fill("#username", username(role))
    page.fill("#password", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    expect(page).to_have_url(re.compile(r"/$"))
