"""Concurrent clients against a real server never get an error: audited reads (which
write an audit row) and pushes from eight threads at once, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator

import httpx
import pytest
from events_factory import Device, household
from operation_setup import ok, register, set_up
from sqlalchemy import Engine, func, select
from web_server import serve

from corridor.server import create_app
from corridor.services.access import add_user, issue_token
from corridor.storage.schema import audit_log

PASSWORD = "correct horse battery"
THREADS = 8
ROUNDS = 12  # per thread: each round is one request of every kind below


@pytest.fixture
def served(engine: Engine) -> Iterator[tuple[str, dict[str, str]]]:
    """A served app with an operation in it, and a bearer token per role."""
    app = create_app(engine, secret="concurrency-test")
    tokens = {}
    for role in ("coordinator", "registrar"):
        add_user(engine, role, role, PASSWORD)
        tokens[role] = issue_token(engine, role, f"{role}-phone")
    with serve(app) as url:
        yield url, tokens


def bearer(url: str, token: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"},
                        timeout=60)


def signed_in(url: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=60)
    form = client.get("/login").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form)
    assert csrf is not None
    response = client.post("/login", data={"username": username, "password": PASSWORD,
                                           "csrf": csrf.group(1)})
    assert response.status_code == 303, response.text
    return client


def test_concurrent_audited_reads_and_pushes_never_fail(served, engine) -> None:
    url, tokens = served
    with bearer(url, tokens["coordinator"]) as setup:
        set_up(setup)
        people = register(setup, 3)
        household_id = ok(setup.get(f"/api/persons/{people[0]}"))["household_id"]
    reads = ["/api/persons?limit=100", f"/api/persons/{people[0]}",
             f"/api/households/{household_id}", "/api/vehicles/bus1/manifest",
             "/api/unaccounted", "/api/tracing/requests"]
    pages = ["/alerts", "/vehicles/bus1/manifest", f"/register?registered={household_id}",
             "/tracing/requests", "/duplicates"]
    failures: list[str] = []
    start = threading.Barrier(THREADS)

    # Signed in one after another: sign-ins are hashed two at a time and a third is
    # told to come back (tests/test_access.py); what runs at once here is the reading.
    sessions = [signed_in(url, "coordinator") for _ in range(THREADS)]

    def client_loop(worker: int) -> None:
        api = bearer(url, tokens["coordinator"])
        web = sessions[worker]
        device = Device(f"phone-{worker}")
        requests: list[Callable[[], httpx.Response]] = [
            *(lambda path=path: api.get(path) for path in reads),
            *(lambda path=path: web.get(path) for path in pages),
            lambda: api.post("/api/sync/push", json={"events": [
                household(device, f"w{worker}-{n}", 2) for n in range(3)]}),
        ]
        start.wait(timeout=120)
        for _ in range(ROUNDS):
            for request in requests:
                try:
                    response = request()
                except httpx.HTTPError as exc:
                    failures.append(f"{type(exc).__name__}: {exc}")
                    continue
                if response.status_code != 200:
                    failures.append(f"{response.request.url.path}: {response.status_code} "
                                    f"{response.text[:200]}")
        api.close()
        web.close()

    workers = [threading.Thread(target=client_loop, args=(n,)) for n in range(THREADS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=600)
    assert not any(worker.is_alive() for worker in workers)
    assert failures == []
    with engine.connect() as conn:
        audited = conn.execute(select(func.count()).select_from(audit_log)).scalar_one()
    assert audited >= THREADS * ROUNDS * (len(reads) + len(pages))  # every read is on record
