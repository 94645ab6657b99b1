"""Who is asking, always as the account is now: sessions, tokens, account changes,
sign-in throttling, bounded password hashing, common passwords and the rate limit
shared by every server process. On SQLite and PostgreSQL.

Expiry is tested by moving a session's or a token's times back in the database (what
the passing of time would do), not by sleeping.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from conftest import PASSWORD
from fastapi.testclient import TestClient
from operation_setup import set_up
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Engine, select, update
from typer.testing import CliRunner
from web_server import Site, sign_in

from corridor.cli import app as cli
from corridor.server import create_app
from corridor.services import access, limits, signin
from corridor.services.access import AccessError, add_user, issue_token, list_tokens
from corridor.services.limits import Limit
from corridor.storage.schema import api_tokens, audit_log, limit_hits, sessions

runner = CliRunner()


@pytest.fixture
def browser_context_pair(browser: Browser, site: Site) -> Iterator[tuple[Page, Page, Site]]:
    """Two people's browsers (separate cookies) on one served site."""
    contexts = [browser.new_context(base_url=site.url) for _ in range(2)]
    pages = []
    for context in contexts:
        context.set_default_timeout(10_000)
        pages.append(context.new_page())
    yield pages[0], pages[1], site
    for context in contexts:
        context.close()


def browser(app) -> TestClient:
    """A client that behaves like a browser: cookies, no bearer token."""
    return TestClient(app, raise_server_exceptions=False, follow_redirects=False)


def csrf(client: TestClient, path: str = "/login") -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert found
    return found.group(1)


def web_sign_in(client: TestClient, username: str, password: str = PASSWORD):
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf": csrf(client)})


def signed_in(client: TestClient) -> bool:
    """Whether a page needing a session opens (rather than sending to /login)."""
    return client.get("/").status_code == 200


def account(engine: Engine, username: str, role: str) -> None:
    add_user(engine, username, role, PASSWORD)


def tokens_of(engine: Engine, username: str):
    with engine.connect() as conn:
        return conn.execute(select(api_tokens).where(api_tokens.c.username == username)).all()


def audit_actions(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.scalars(select(audit_log.c.action).order_by(audit_log.c.id)))


# --- sessions ------------------------------------------------------------------------------


def test_a_copied_cookie_is_worthless_after_logout(app, engine) -> None:
    account(engine, "amal", "coordinator")
    client = browser(app)
    assert web_sign_in(client, "amal").status_code == 303 and signed_in(client)
    copy = browser(app)
    copy.cookies.update(client.cookies)
    assert signed_in(copy) and copy.get("/api/operation").status_code == 200
    token = csrf(client, "/")
    assert client.post("/logout", data={"csrf": token}).status_code == 303
    assert copy.get("/").headers["location"] == "/login"
    assert copy.get("/api/operation").status_code == 401
    with engine.connect() as conn:
        assert conn.execute(select(sessions)).all() == []


@pytest.mark.parametrize("change", ["deactivate", "role", "password"])
def test_an_account_change_ends_its_web_sessions_and_tokens_at_once(app, engine,
                                                                    change: str) -> None:
    account(engine, "amal", "coordinator")
    account(engine, "omar", "coordinator")
    client, other = browser(app), browser(app)
    web_sign_in(client, "amal")
    web_sign_in(other, "omar")
    token = {"Authorization": "Bearer " + issue_token(engine, "amal", "phone")}
    api = browser(app)
    assert signed_in(client) and api.get("/api/alerts", headers=token).status_code == 200
    if change == "deactivate":
        access.deactivate(engine, "amal", by="root")
    elif change == "role":
        access.set_role(engine, "amal", "partner", by="root")
    else:
        access.set_password(engine, "amal", "a new quiet lantern", by="root")
    assert client.get("/alerts").headers["location"] == "/login"
    assert client.get("/api/alerts").status_code == 401  # the cookie on the API too
    assert api.get("/api/alerts", headers=token).status_code == 401
    assert signed_in(other)  # other accounts keep theirs
    if change == "role":  # signing in again gives the new role, and only that
        web_sign_in(client, "amal")
        assert signed_in(client) and client.get("/alerts").status_code == 403
        assert client.get("/api/alerts").status_code == 403
    if change == "deactivate":
        assert web_sign_in(client, "amal").status_code == 401


def _age_sessions(engine: Engine, **ago: timedelta) -> None:
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(update(sessions).values({column: now - by for column, by in ago.items()}))


def test_an_idle_session_ends(app, engine, monkeypatch: pytest.MonkeyPatch) -> None:
    account(engine, "amal", "coordinator")
    client = browser(app)
    web_sign_in(client, "amal")
    _age_sessions(engine, last_seen_at=timedelta(minutes=29))
    assert signed_in(client)  # and that request renewed the idle time
    _age_sessions(engine, last_seen_at=timedelta(minutes=31))
    assert not signed_in(client)
    monkeypatch.setenv("CORRIDOR_SESSION_IDLE_MINUTES", "5")
    web_sign_in(client, "amal")
    _age_sessions(engine, last_seen_at=timedelta(minutes=6))
    left = browser(app)
    web_sign_in(left, "amal")  # a new sign-in clears sessions left to expire
    with engine.connect() as conn:
        assert len(conn.execute(select(sessions)).all()) == 1
    assert not signed_in(client) and signed_in(left)


def test_no_request_renews_a_session_past_its_lifetime(app, engine) -> None:
    account(engine, "amal", "coordinator")
    client = browser(app)
    web_sign_in(client, "amal")
    with engine.connect() as conn:
        started = conn.scalar(select(sessions.c.created_at))
    _age_sessions(engine, created_at=timedelta(hours=11, minutes=59))
    for lang in ("ar", "en", "ar"):  # re-signs the cookie: must not touch the lifetime
        assert client.get(f"/?lang={lang}").status_code == 200
    with engine.connect() as conn:
        assert conn.scalar(select(sessions.c.created_at)) != started  # the aged value stays
    _age_sessions(engine, created_at=timedelta(hours=12, minutes=1))
    assert client.get("/?lang=en").headers["location"] == "/login"
    assert client.get("/api/operation").status_code == 401


# --- tokens --------------------------------------------------------------------------------


def test_tokens_expire_record_their_use_and_are_revoked(app, engine) -> None:
    account(engine, "amal", "registrar")
    client = browser(app)
    phone, tablet = issue_token(engine, "amal", "phone 7"), issue_token(engine, "amal", "tab")
    listed = {t.label: t for t in list_tokens(engine, "amal")}
    assert set(listed) == {"phone 7", "tab"} and listed["tab"].last_used_at is None
    assert timedelta(days=29) < listed["tab"].expires_at - datetime.now(UTC) <= timedelta(days=30)
    assert client.get("/api/operation", headers={"Authorization": f"Bearer {tablet}"}
                      ).status_code == 200
    assert {t.label: t for t in list_tokens(engine, "amal")}["tab"].last_used_at is not None
    assert all(phone not in str(t) and tablet not in str(t) for t in list_tokens(engine, "amal"))

    with engine.begin() as conn:  # the phone's token reaches its expiry
        conn.execute(update(api_tokens).where(api_tokens.c.label == "phone 7")
                     .values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    expired = client.get("/api/operation", headers={"Authorization": f"Bearer {phone}"})
    assert expired.status_code == 401 and "expired" in expired.json()["detail"]
    assert {t.label: t.expired for t in list_tokens(engine, "amal")} == {"phone 7": True,
                                                                          "tab": False}

    assert access.revoke_tokens(engine, "amal", listed["tab"].id, by="amal") == 1
    assert client.get("/api/operation", headers={"Authorization": f"Bearer {tablet}"}
                      ).status_code == 401
    assert [t.label for t in list_tokens(engine, "amal")] == ["phone 7"]
    with pytest.raises(AccessError):
        access.revoke_tokens(engine, "amal", listed["tab"].id, by="amal")  # already revoked


def test_a_device_signs_itself_out(app, engine) -> None:
    account(engine, "amal", "registrar")
    client = browser(app)
    phone, other = issue_token(engine, "amal", "phone"), issue_token(engine, "amal", "tab")
    bearer = {"Authorization": f"Bearer {phone}"}
    assert client.delete("/api/auth/token", headers=bearer).status_code == 204
    assert client.get("/api/operation", headers=bearer).status_code == 401
    again = client.delete("/api/auth/token", headers=bearer)
    assert again.status_code == 401 and again.headers["content-type"] == "application/problem+json"
    assert client.delete("/api/auth/token").status_code == 401
    assert client.get("/api/operation", headers={"Authorization": f"Bearer {other}"}
                      ).status_code == 200
    assert "account: token signed out" in audit_actions(engine)


# --- sign-in throttling --------------------------------------------------------------------


def _token_sign_in(client: TestClient, username: str, password: str):
    return client.post("/api/auth/token", json={"username": username, "password": password})


def _age_failures(engine: Engine, minutes: int) -> None:
    with engine.begin() as conn:
        conn.execute(update(limit_hits).values(at=datetime.now(UTC) - timedelta(minutes=minutes)))


def _failures(engine: Engine, throttle: signin.Throttle, subject: str, n: int) -> None:
    """n more failures, all five minutes ago: past any back-off, within the window."""
    _age_failures(engine, 5)
    for _ in range(n):
        limits.note(engine, throttle.limit, subject, datetime.now(UTC) - timedelta(minutes=5))


def test_failed_sign_ins_back_off_then_lock_the_account(app, engine) -> None:
    account(engine, "amal", "coordinator")
    client = browser(app)
    for _ in range(signin.ACCOUNT.free):
        assert _token_sign_in(client, "amal", "wrong password").status_code == 401
    waiting = _token_sign_in(client, "amal", PASSWORD)  # even the right one waits its turn
    assert waiting.status_code == 429 and int(waiting.headers["Retry-After"]) >= 1
    assert waiting.headers["content-type"] == "application/problem+json"

    _failures(engine, signin.ACCOUNT, "amal", signin.ACCOUNT.limit.count - 4)
    assert _token_sign_in(client, "amal", "wrong again").status_code == 401  # the tenth
    locked = _token_sign_in(client, "amal", PASSWORD)
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 14 * 60
    web = browser(app)
    page = web_sign_in(web, "amal")
    assert page.status_code == 429 and "Too many failed sign-ins" in page.text
    assert int(page.headers["Retry-After"]) > 14 * 60
    actions = audit_actions(engine)
    assert actions.count("sign-in failed") == signin.ACCOUNT.free + 1
    assert actions.count("sign-in locked") == 1

    _age_failures(engine, 16)  # the window passes
    assert _token_sign_in(client, "amal", PASSWORD).status_code == 201
    with engine.connect() as conn:  # a success clears the account's failures
        keys = set(conn.scalars(select(limit_hits.c.key)))
    assert not any(key.startswith(signin.ACCOUNT.limit.name) for key in keys)


def test_an_address_guessing_at_many_accounts_is_locked(app, engine) -> None:
    account(engine, "amal", "coordinator")
    client = browser(app)
    _failures(engine, signin.ADDRESS, "testclient", signin.ADDRESS.limit.count - 1)
    assert _token_sign_in(client, "someone-else", "guess").status_code == 401
    refused = _token_sign_in(client, "amal", PASSWORD)  # a right password, the same address
    assert refused.status_code == 429 and "address" in refused.json()["detail"]


def test_an_ipv6_client_is_counted_by_its_64() -> None:
    assert signin._source("2001:db8:1:2:aaaa::1") == signin._source("2001:db8:1:2:bbbb::9") \
        == "2001:db8:1:2::/64"
    assert signin._source("10.0.0.7") == "10.0.0.7"


def test_password_checks_are_bounded_and_a_flood_is_answered_busy(
        app, engine, monkeypatch: pytest.MonkeyPatch) -> None:
    account(engine, "amal", "coordinator")
    client = browser(app)
    monkeypatch.setattr(access, "HASH_WAIT", 0.2)
    taken = [access._hashing.acquire(timeout=5) for _ in range(access.HASH_SLOTS)]
    try:
        assert all(taken)
        busy = _token_sign_in(client, "amal", PASSWORD)  # waited its turn, in vain
        assert busy.status_code == 503 and busy.headers["Retry-After"] == "1"
        page = web_sign_in(browser(app), "amal")
        assert page.status_code == 503 and page.headers["Retry-After"] == "1"
        queued = [access._queue.acquire(timeout=5) for _ in range(access.HASH_QUEUE)]
        try:
            started = time.monotonic()
            assert _token_sign_in(client, "amal", PASSWORD).status_code == 503
            assert time.monotonic() - started < 0.2  # the queue is full: no wait at all
        finally:
            for _ in queued:
                access._queue.release()
        assert client.get("/api/operation", headers={
            "Authorization": "Bearer " + issue_token(engine, "amal", "t")}).status_code == 200
    finally:
        for _ in taken:
            access._hashing.release()
    assert _token_sign_in(client, "amal", PASSWORD).status_code == 201


# --- passwords -----------------------------------------------------------------------------


@pytest.mark.parametrize("password", ["password123", "qwertyuiop", "Password1!", "amalamal12"])
def test_common_or_guessable_passwords_are_refused(engine, password: str) -> None:
    with pytest.raises(AccessError, match="too common or too easy to guess") as refused:
        add_user(engine, "amal", "registrar", password)
    assert refused.value.field == "password"
    add_user(engine, "amal", "registrar", PASSWORD)
    with pytest.raises(AccessError, match="too common"):
        access.set_password(engine, "amal", password, by="amal")


# --- the rate limit shared by every process ------------------------------------------------


def test_two_server_processes_share_the_tracing_limit(engine) -> None:
    first, second = create_app(engine, secret="s"), create_app(engine, secret="s")
    few = Limit("searches", 3, timedelta(seconds=60))
    first.state.corridor.tracing.limit = second.state.corridor.tracing.limit = few
    account(engine, "coord", "coordinator")
    token = {"Authorization": "Bearer " + issue_token(engine, "coord", "desk")}
    one, two = browser(first), browser(second)
    set_up(TestClient(first, headers=token))
    search = {"name": "Omar", "reason": "brother asking"}
    assert one.post("/api/tracing/search", json=search, headers=token).status_code == 200
    filed = two.post("/api/tracing/requests", headers=token, json={
        "sought": {"name": "Omar"}, "requester_name": "Huda", "relationship": "sister",
        "contact": "reception", "consent": True})
    assert filed.status_code == 201  # filing gives names too: it counts
    request_id = filed.json()["request_id"]
    assert one.get(f"/api/tracing/requests/{request_id}", headers=token).status_code == 200
    refused = two.post("/api/tracing/search", json=search, headers=token)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert one.get(f"/api/tracing/requests/{request_id}", headers=token).status_code == 429
    assert two.post("/api/tracing/requests", headers=token, json={
        "sought": {"name": "Layla"}, "requester_name": "Huda", "relationship": "sister",
        "contact": "reception", "consent": True}).status_code == 429


def test_a_limit_is_a_sliding_window(engine) -> None:
    few, now = Limit("tries", 2, timedelta(seconds=60)), datetime.now(UTC)
    limits.take(engine, few, "amal", now - timedelta(seconds=50))
    limits.take(engine, few, "amal", now - timedelta(seconds=20))
    with pytest.raises(limits.RateLimited) as refused:
        limits.take(engine, few, "amal", now)
    assert refused.value.retry_after == 10
    limits.take(engine, few, "omar", now)  # another subject has its own count
    limits.take(engine, few, "amal", now + timedelta(seconds=11))
    with engine.connect() as conn:  # the hit past the window is gone
        assert len(conn.execute(select(limit_hits).where(
            limit_hits.c.key == "tries:amal")).all()) == 2


# --- the command line ----------------------------------------------------------------------


def corridor(*args: str, **env: str):
    return runner.invoke(cli, list(args), env=env or None)


def test_the_user_commands(engine, database_url) -> None:
    db = ("--database", database_url)
    assert corridor("user", "add", "amal", "--role", "registrar", *db,
                    CORRIDOR_PASSWORD=PASSWORD).exit_code == 0
    phone = corridor("user", "token", "amal", "--device", "phone 7", *db).output.strip()
    corridor("user", "token", "amal", "--device", "tablet", "--days", "2", *db)
    listed = corridor("user", "tokens", "amal", *db)
    assert listed.exit_code == 0 and "phone 7" in listed.output and "never" in listed.output
    assert phone not in listed.output
    ids = {t.label: t.id for t in list_tokens(engine, "amal")}
    assert ids["tablet"] in listed.output
    assert corridor("user", "revoke", "amal", ids["tablet"], *db).exit_code == 0
    assert [t.label for t in list_tokens(engine, "amal")] == ["phone 7"]
    both = corridor("user", "revoke", "amal", *db)
    assert both.exit_code == 1 and both.output.strip() == "error: name one token id or give --all"
    assert corridor("user", "revoke", "amal", "--all", *db).exit_code == 0
    assert list_tokens(engine, "amal") == []

    weak = corridor("user", "password", "amal", *db, CORRIDOR_PASSWORD="password123")
    assert weak.exit_code == 1 and weak.output.startswith("error: this password is too common")
    assert corridor("user", "password", "amal", *db,
                    CORRIDOR_PASSWORD="a new quiet lantern").exit_code == 0
    assert access.authenticate(engine, "amal", "a new quiet lantern") is not None
    issue_token(engine, "amal", "phone 8")
    role = corridor("user", "role", "amal", "tracing_officer", *db)
    assert role.exit_code == 0 and list_tokens(engine, "amal") == []
    assert str(access.authenticate(engine, "amal", "a new quiet lantern").role) == \
        "tracing_officer"
    assert corridor("user", "deactivate", "amal", *db).exit_code == 0
    assert access.authenticate(engine, "amal", "a new quiet lantern") is None
    for command in (("deactivate", "nobody"), ("tokens", "nobody"), ("role", "nobody", "admin"),
                    ("revoke", "nobody", "--all")):
        missing = corridor("user", *command, *db)
        assert (missing.exit_code, missing.output) == (1, "error: user nobody does not exist\n")
    assert all(len(row.token_hash) == 64 for row in tokens_of(engine, "amal"))


# --- the admin page ------------------------------------------------------------------------


def _post(client: TestClient, path: str, **data: str):
    return client.post(path, data={"csrf": csrf(client, "/admin/users"), **data})


def test_the_accounts_page_is_for_admins_and_changes_take_effect(app, engine) -> None:
    for name, role in (("root", "admin"), ("amal", "coordinator"), ("omar", "registrar")):
        account(engine, name, role)
    amal, admin = browser(app), browser(app)
    web_sign_in(amal, "amal")
    assert amal.get("/admin/users").status_code == 403
    assert "/admin/users" not in amal.get("/").text
    web_sign_in(admin, "root")
    issue_token(engine, "omar", "phone")
    page = admin.get("/admin/users")
    assert page.status_code == 200 and 'href="/admin/users"' in page.text
    amal_row = re.search(r'data-account="amal".*?</tr>', page.text, re.S)
    assert amal_row and re.search(r"<td data-sessions[^>]*>1</td>", amal_row.group(0))

    moved = _post(admin, "/admin/users/amal/role", role="partner")
    assert moved.status_code == 303 and moved.headers["location"].startswith("/admin/users?done")
    assert not signed_in(amal)
    weak = _post(admin, "/admin/users/omar/password", password="password123")
    assert weak.status_code == 422 and "too common" in weak.text
    assert _post(admin, "/admin/users/omar/password",
                 password="a new quiet lantern").status_code == 303
    assert access.authenticate(engine, "omar", "a new quiet lantern") is not None
    issue_token(engine, "omar", "phone")
    assert _post(admin, "/admin/users/omar/revoke").status_code == 303
    assert list_tokens(engine, "omar") == []
    assert _post(admin, "/admin/users/omar/deactivate").status_code == 303
    assert access.authenticate(engine, "omar", "a new quiet lantern") is None
    assert _post(admin, "/admin/users/root/deactivate").status_code == 409  # not oneself
    refused = admin.post("/admin/users/amal/role", data={"role": "admin", "csrf": "forged"})
    assert refused.status_code == 403
    rows = {a["username"]: a for a in access.accounts(engine)}
    assert (rows["amal"]["role"], rows["omar"]["active"]) == ("partner", False)
    with engine.connect() as conn:
        changes = conn.execute(select(audit_log.c.username, audit_log.c.action,
                                      audit_log.c.subject)
                               .where(audit_log.c.action.startswith("account:"))
                               .order_by(audit_log.c.id)).all()
    assert changes == [("root", "account: role set to partner", "amal"),
                       ("root", "account: password set", "omar"),
                       ("root", "account: 1 token(s) revoked", "omar"),
                       ("root", "account: deactivated", "omar")]


def test_an_error_page_still_renders_when_resolving_the_session_fails(
        app, engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.exc import OperationalError

    from corridor.web import page

    account(engine, "amal", "coordinator")
    client = browser(app)
    web_sign_in(client, "amal")

    def gone(*_: object, **__: object) -> None:
        raise OperationalError("SELECT", {}, Exception("the database went away"))

    monkeypatch.setattr(page, "resolve", gone)
    missing = client.get("/no-such-page")
    assert missing.status_code == 404 and "There is no such page." in missing.text


def test_an_admin_changes_a_role_in_the_browser(browser_context_pair) -> None:
    admin, coordinator, site = browser_context_pair
    sign_in(coordinator, "coordinator")
    sign_in(admin, "admin")
    admin.click("nav a[href='/admin/users']")
    row = admin.locator("tr[data-account='coordinator']")
    expect(row.locator("td[data-sessions]")).to_have_text("1")
    row.locator("form[data-form='role'] select").select_option("partner")
    row.locator("form[data-form='role'] button").click()
    expect(admin.locator("[data-done]")).to_contain_text("coordinator")
    expect(row.locator("td[data-role]")).to_have_attribute("data-role", "partner")
    expect(row.locator("td[data-sessions]")).to_have_text("0")
    coordinator.goto("/alerts")
    expect(coordinator).to_have_url(re.compile(r"/login$"))
    row.locator("input[name=password]").fill("password123")
    row.locator("form[data-form='password'] button").click()
    expect(admin.locator("tr[data-account='coordinator'] [data-error]")).to_contain_text(
        "too common")
