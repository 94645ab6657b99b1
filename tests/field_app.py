"""The field app in a real Chromium against a real server that can die and come back.

`Server` runs uvicorn on a port fixed for the test's life, so stopping it and starting
it again (on the same database, or on one restored from a backup) keeps the origin:
the phone's service worker, IndexedDB and localStorage are the origin's. `Phone`
drives the app as its user does, and reads its own module instances
(`await import('/field/static/js/ctx.js')`) where the test must look inside.
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import Engine, select
from web_server import Site, open_operation

from corridor.server import create_app
from corridor.storage.database import connect, initialise
from corridor.storage.schema import events

PIN = "246810"
CTX = "const {ctx} = await import('/field/static/js/ctx.js');"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    """uvicorn in a thread on one port; `stop` ends it as a crash would for the phone
    (open connections closed), `start` serves a database again on the same port."""

    port: int = field(default_factory=free_port)
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None
    app: FastAPI | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, engine: Engine) -> FastAPI:
        self.app = create_app(engine, secret="field-test-secret")
        server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=self.port,
                                               log_level="warning", lifespan="off"))
        self._server, self._thread = server, threading.Thread(target=server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 15
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self.app

    @property
    def running(self) -> bool:
        return self._server is not None

    def stop(self) -> None:
        assert self._server is not None and self._thread is not None
        self._server.should_exit = True
        self._server.force_exit = True
        self._thread.join(timeout=15)
        if self._thread.is_alive():
            raise RuntimeError("uvicorn did not stop")
        self._server = self._thread = self.app = None


@contextmanager
def served_operation(tmp_path: Path) -> Iterator[tuple[Server, Engine, Site]]:
    """The test operation on a fresh SQLite database, served on a fixed port; stopped
    afterwards unless the test stopped it for good."""
    engine = connect(str(tmp_path / "corridor.db"))
    initialise(engine)
    server = Server()
    app = server.start(engine)
    site = Site.with_users(server.url, app, engine)
    open_operation(site, illustrative=True)
    try:
        yield server, engine, site
    finally:
        if server.running:
            server.stop()
        engine.dispose()


def ledger_ids(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(select(events.c.id).order_by(events.c.seq)).scalars())


def household(name: str, gathering_point: str = "gp") -> dict[str, Any]:
    """A HouseholdRegistered payload of one person, ids made as the phone makes them."""
    return {"household_id": str(uuid.uuid4()), "gathering_point_id": gathering_point,
            "members": [{"person_id": str(uuid.uuid4()), "given_name": name,
                         "family_name": "Haddad", "sex": "female", "birth_year": 1984,
                         "consent": True}]}


@dataclass
class Phone:
    context: BrowserContext
    page: Page

    def open(self) -> None:
        self.page.goto("/field")

    def sign_in(self, username: str, password: str, pin: str = PIN) -> None:
        page = self.page
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("form button[type=submit]")
        expect(page.get_by_test_id("calibration")).to_contain_text("ms")
        page.fill("input[name=pin]", pin)
        page.fill("input[name=pin_again]", pin)
        page.click("form button[type=submit]")
        expect(page.locator("#nav")).to_be_visible()
        self.settled()

    def settled(self) -> dict[str, Any]:
        """Wait for the sync under way (the first one starts at unlocking) or run one;
        its status."""
        return dict(self.page.evaluate(
            "async () => { const s = await import('/field/static/js/sync.js');"
            " await s.syncNow(); return {...s.status}; }"))

    def unlock(self, pin: str = PIN) -> None:
        for digit in pin:
            self.page.click(f"[data-digit='{digit}']")
        self.page.click(".pin-ok")
        expect(self.page.locator("#nav")).to_be_visible()

    def lock(self) -> None:
        self.page.click("#nav button")
        expect(self.page.get_by_test_id("pin-dots")).to_be_visible()

    def worker_ready(self) -> None:
        """The service worker installed (every asset precached) and controlling."""
        self.page.evaluate("async () => { await navigator.serviceWorker.ready; }")
        self.page.wait_for_function("navigator.serviceWorker.controller !== null")

    def record(self, type_: str, payload: dict[str, Any]) -> str:
        return str(self.page.evaluate(
            f"async ([t, p]) => {{ {CTX} return (await ctx.record(t, p)).id; }}",
            [type_, payload]))

    def events(self) -> list[dict[str, Any]]:
        return list(self.page.evaluate(f"async () => {{ {CTX} return ctx.events(); }}"))

    def states(self) -> dict[str, str]:
        return {e["id"]: e["state"] for e in self.events()}

    def send_now(self) -> dict[str, Any]:
        """Press "Send now" and wait until a whole sync has run since; its status."""
        self.page.click(".send-now")
        return self.settled()

    def summary(self) -> str:
        return self.page.get_by_test_id("bar-summary").inner_text()
