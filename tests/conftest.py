"""Fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL is found at CORRIDOR_TEST_POSTGRES (default: the local trust-auth server,
database `test`). Each test gets its own schema, dropped afterwards. Where no
PostgreSQL is running the PostgreSQL half is skipped, unless CORRIDOR_REQUIRE_POSTGRES=1
(as CI sets it), where it fails.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError
from web_server import Site, serve

from corridor.server import create_app
from corridor.services.access import add_user, issue_token
from corridor.storage.database import connect, initialise

POSTGRES = os.environ.get("CORRIDOR_TEST_POSTGRES",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRE_POSTGRES = os.environ.get("CORRIDOR_REQUIRE_POSTGRES") == "1"
PASSWORD = "correct horse battery"


def _postgres_engine() -> Iterator[Engine]:
    admin = connect(POSTGRES)
    try:
        with admin.connect():
            pass
    except OperationalError as exc:
        admin.dispose()
        message = f"PostgreSQL is not reachable at {POSTGRES}: {exc.orig}"
        if REQUIRE_POSTGRES:
            pytest.fail(message)
        pytest.skip(message)
    schema = "t_" + uuid.uuid4().hex[:12]
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine = connect(f"{POSTGRES}?options=-csearch_path%3D{schema}")
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = connect(str(tmp_path / "corridor.db"))
        initialise(engine)
        yield engine
        engine.dispose()
    else:
        for engine in _postgres_engine():
            initialise(engine)
            yield engine


@pytest.fixture
def empty_engine(engine: Engine, tmp_path) -> Iterator[Engine]:
    """A second, uninitialised database of the same kind as `engine`: where a restore goes."""
    if engine.dialect.name == "sqlite":
        empty = connect(str(tmp_path / "restored.db"))
        yield empty
        empty.dispose()
    else:
        yield from _postgres_engine()


@pytest.fixture
def database_url(engine: Engine) -> str:
    """The same database as a URL, for the CLI."""
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture
def app(engine: Engine):
    return create_app(engine, secret="test-secret")


class Api:
    """A TestClient per role, each with its own bearer token."""

    def __init__(self, app, engine: Engine) -> None:
        self.app, self.engine, self._clients = app, engine, {}

    def as_(self, role: str) -> TestClient:
        if role not in self._clients:
            username = role.replace("_", "-")
            add_user(self.engine, username, role, PASSWORD)
            client = TestClient(self.app, raise_server_exceptions=False)
            client.headers["Authorization"] = "Bearer " + issue_token(self.engine, username,
                                                                      f"{role}-phone")
            self._clients[role] = client
        return self._clients[role]


@pytest.fixture
def api(app, engine: Engine) -> Api:
    return Api(app, engine)


# --- the browser tests: Debian's Chromium, never a downloaded browser -------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Skipped where /usr/bin/chromium is missing, unless CORRIDOR_REQUIRE_BROWSER=1
    (as CI sets it), where the test fails instead."""
    if not CHROMIUM.exists():
        reason = f"no Chromium at {CHROMIUM} (install Debian's chromium package)"
        if os.environ.get("CORRIDOR_REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    """The app served over real HTTP on a temporary SQLite database."""
    engine = connect(str(tmp_path / "corridor.db"))
    initialise(engine)
    app = create_app(engine, secret="web-test-secret")
    with serve(app) as url:
        yield Site.with_users(url, app, engine)
    engine.dispose()


@pytest.fixture
def page(browser: Browser, site: Site) -> Iterator[Page]:
    context = browser.new_context(base_url=site.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()
