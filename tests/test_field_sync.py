"""The field app's store, outbox and sync in a real Chromium against a real server:
offline work, lost answers, a server that dies or comes back from an older backup, a
phone whose site data is cleared, rejected events, and what the storage holds."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import CHROMIUM, CHROMIUM_ARGS
from field_app import Phone, Server, household, ledger_ids, served_operation
from field_phone import shot
from playwright.sync_api import Browser, Route, expect
from sqlalchemy import Engine, func, select
from web_server import PASSWORD, Site

from corridor.domain.vocabulary import Role
from corridor.services.access import add_user, revoke_tokens
from corridor.services.backup import backup, restore
from corridor.services.ledger import Principal
from corridor.storage.database import connect, initialise
from corridor.storage.schema import api_tokens, audit_log, households


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[Server, Engine, Site]]:
    with served_operation(tmp_path) as served:
        yield served


@pytest.fixture
def phone(browser: Browser, server: tuple[Server, Engine, Site]) -> Iterator[Phone]:
    context = browser.new_context(base_url=server[0].url, viewport={"width": 360, "height": 640})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    page.on("pageerror", lambda error: print("page error:", error))
    phone = Phone(context, page)
    phone.open()
    yield phone
    context.close()


def household_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(households)).scalar_one())


def test_offline_records_survive_reload_and_lock_then_sync(phone: Phone, server) -> None:
    _, engine, _ = server
    phone.sign_in("registrar", PASSWORD)
    phone.worker_ready()
    phone.context.set_offline(True)
    ids = [phone.record("HouseholdRegistered", household(name)) for name in
           ("Mariam", "Layla", "Salma")]
    assert set(phone.states().values()) == {"pending"}

    phone.page.reload()  # offline: the service worker serves the shell
    expect(phone.page.get_by_test_id("pin-dots")).to_be_visible()
    expect(phone.page.get_by_test_id("bar-summary")).to_contain_text("3 unsent")
    phone.unlock()
    assert phone.states() == dict.fromkeys(ids, "pending")
    phone.lock()
    phone.unlock()
    assert phone.send_now()["error"] == "sync.offline"
    assert ledger_ids(engine) == [e for e in ledger_ids(engine) if e not in ids]

    phone.context.set_offline(False)
    status = phone.send_now()
    assert status["error"] is None
    assert phone.states() == dict.fromkeys(ids, "accepted")
    assert set(ids) <= set(ledger_ids(engine))
    assert household_count(engine) == 3
    expect(phone.page.get_by_test_id("bar-summary")).to_have_text("All sent")


def test_a_lost_answer_then_a_retry_gives_duplicates_and_one_household(phone: Phone,
                                                                       server) -> None:
    _, engine, _ = server
    phone.sign_in("registrar", PASSWORD)
    event_id = phone.record("HouseholdRegistered", household("Nour"))
    lost: list[int] = []

    def lose_the_answer(route: Route) -> None:
        if lost:
            route.continue_()
            return
        answer = route.fetch()  # the server commits ...
        lost.append(answer.status)
        route.abort()  # ... and the phone never hears

    phone.page.route("**/api/sync/push", lose_the_answer)
    assert phone.send_now()["error"] == "sync.offline"
    assert lost == [200]
    assert phone.states() == {event_id: "pending"}
    assert ledger_ids(engine).count(event_id) == 1

    assert phone.send_now()["error"] is None
    assert phone.states() == {event_id: "duplicate"}
    assert ledger_ids(engine).count(event_id) == 1
    assert household_count(engine) == 1


def test_the_server_killed_mid_sync_then_back(phone: Phone, server) -> None:
    srv, engine, _ = server
    phone.sign_in("registrar", PASSWORD)
    phone.context.set_offline(True)
    ids = [phone.record("HouseholdRegistered", household(n)) for n in ("Huda", "Karim")]

    def die_after_commit(route: Route) -> None:
        route.fetch()
        srv.stop()  # the server goes down with the answer unsent
        route.abort()

    phone.page.route("**/api/sync/push", die_after_commit, times=1)
    phone.context.set_offline(False)  # the phone syncs on `online`: this push dies
    assert phone.send_now()["error"] == "sync.offline"
    assert set(phone.states().values()) == {"pending"}
    assert phone.send_now()["error"] == "sync.offline"  # still down

    srv.start(engine)  # the same database, the same port
    assert phone.send_now()["error"] is None
    assert phone.states() == dict.fromkeys(ids, "duplicate")
    assert [i for i in ledger_ids(engine) if i in ids] == ids
    assert household_count(engine) == 2


def test_a_restore_from_an_older_backup_is_completed_by_the_phone(phone: Phone, server,
                                                                 tmp_path: Path) -> None:
    srv, engine, _ = server
    phone.sign_in("registrar", PASSWORD)
    first = phone.record("HouseholdRegistered", household("Omar"))
    assert phone.send_now()["error"] is None
    epoch = phone.page.get_by_test_id("bar-detail").inner_text()
    with open(tmp_path / "backup.jsonl", "wb") as out:
        backup(engine, out, Principal("admin", Role.ADMIN))
    second = phone.record("HouseholdRegistered", household("Rami"))
    assert phone.send_now()["error"] is None
    assert phone.states() == {first: "accepted", second: "accepted"}

    srv.stop()  # the database is lost; the backup predates `second`
    restored = connect(str(tmp_path / "restored.db"))
    initialise(restored)
    with open(tmp_path / "backup.jsonl", "rb") as source:
        restore(restored, source)
    assert second not in ledger_ids(restored)
    srv.start(restored)

    assert phone.send_now()["error"] is None
    assert phone.states() == {first: "duplicate", second: "accepted"}
    assert {first, second} <= set(ledger_ids(restored))
    assert household_count(restored) == 2
    assert phone.page.get_by_test_id("bar-detail").inner_text() != epoch
    expect(phone.page.get_by_test_id("bar-summary")).to_have_text("All sent")
    srv.stop()  # before its database goes
    restored.dispose()


def clear_site_data(phone: Phone, storage_types: str) -> None:
    cdp = phone.context.new_cdp_session(phone.page)
    cdp.send("Storage.clearDataForOrigin", {"origin": phone.page.url.split("/field")[0],
                                            "storageTypes": storage_types})


def stranded(phone: Phone) -> None:
    """Two events the phone holds and cannot deliver; the server hears of them."""
    phone.page.route("**/api/sync/push", lambda route: route.abort())
    for name in ("Yusuf", "Samir"):
        phone.record("HouseholdRegistered", household(name))
    assert phone.send_now()["error"] == "sync.offline"
    phone.page.unroute("**/api/sync/push")


def test_site_data_cleared_raises_the_alarm_at_the_next_sign_in(phone: Phone, server) -> None:
    _, engine, _ = server
    phone.sign_in("registrar", PASSWORD)
    stranded(phone)
    clear_site_data(phone, "all")
    phone.page.reload()
    expect(phone.page.locator("input[name=username]")).to_be_visible()
    expect(phone.page.get_by_test_id("alarm")).to_have_count(0)  # nothing left to tell

    phone.sign_in("registrar", PASSWORD)
    alarm = phone.page.get_by_test_id("alarm")
    expect(alarm).to_have_class("alarm alarm-red")
    expect(alarm).to_contain_text("2 unsent records")
    with engine.connect() as conn:
        actions = list(conn.execute(select(audit_log.c.action)
                                    .where(audit_log.c.username == "registrar")).scalars())
    assert actions.count("device: new store") == 2
    alarm.get_by_role("button").click()
    expect(alarm).to_have_count(0)


def test_a_lost_store_with_its_marker_left_raises_the_alarm_before_sign_in(phone: Phone,
                                                                          server) -> None:
    phone.sign_in("registrar", PASSWORD)
    stranded(phone)
    clear_site_data(phone, "indexeddb")
    phone.page.reload()
    expect(phone.page.locator("input[name=username]")).to_be_visible()
    alarm = phone.page.get_by_test_id("alarm")
    expect(alarm).to_have_class("alarm alarm-red")
    expect(alarm).to_contain_text("2 unsent records")


def test_the_alarm_dates_a_store_in_the_language_of_the_app(phone: Phone, server) -> None:
    phone.page.evaluate("async () => (await import('/field/static/js/alarm.js')).raise("
                        "{kind: 'local', store_id: 's', created: '2026-12-07T12:30:00Z',"
                        " unsent: 2})")
    alarm = phone.page.get_by_test_id("alarm")
    expect(alarm).to_contain_text("The store created 7 Dec 2026, 12:30 no longer exists")
    phone.page.click(".lang-switch")
    expect(phone.page.locator("html")).to_have_attribute("dir", "rtl")
    expect(alarm).to_contain_text("2026")
    expect(alarm).not_to_contain_text(re.compile(r"\b[AP]M\b"))


def test_the_alarm_names_every_store_with_unsent_records_and_counts_the_rest(
        phone: Phone, server) -> None:
    """An account signed in on many phones: the banner leaves room for the screen."""
    clean = [{"store_id": f"s{n}", "created_at": "2026-12-07T12:30:00Z",
              "reported_at": "2026-12-07T13:00:00Z", "unsent": 0}
             for n in range(5)]
    lost = {"store_id": "lost", "created_at": "2026-12-06T09:00:00Z",
            "reported_at": "2026-12-06T10:00:00Z", "unsent": 4}
    phone.page.evaluate("async (earlier) => (await import('/field/static/js/alarm.js')).raise("
                        "{kind: 'server', earlier})", [*clean[:3], lost, *clean[3:]])
    alarm = phone.page.get_by_test_id("alarm")
    expect(alarm).to_have_class("alarm alarm-red")
    expect(alarm.locator("p")).to_have_text([
        re.compile(r"^A store created 6 Dec 2026, 09:00 .* with 4 unsent records\.$"),
        re.compile("with nothing unsent"), re.compile("with nothing unsent"),
        "And 3 more with nothing unsent.", re.compile("^Those records may be lost")])
    phone.page.click(".lang-switch")
    expect(alarm.locator("p")).to_have_count(5)
    shot(phone.page, "field-alarm-many-stores-ar")


def test_a_rejected_event_stays_with_its_reason_until_discarded(phone: Phone, server) -> None:
    phone.sign_in("registrar", PASSWORD)
    bad = phone.record("HouseholdRegistered", {**household("Aya"), "members": []})
    assert phone.send_now()["error"] is None
    assert phone.states() == {bad: "rejected"}
    expect(phone.page.get_by_test_id("bar-summary")).to_contain_text("1 unsent")

    phone.page.reload()
    phone.unlock()
    phone.page.click("#nav >> text=Outbox")
    item = phone.page.locator(f"[data-id='{bad}']")
    expect(item.locator(".badge")).to_have_text("Rejected")
    expect(item.locator(".reason")).to_contain_text("payload.members")
    assert phone.send_now()["error"] is None  # sending again does not lose or resend it
    expect(item).to_be_visible()

    item.get_by_role("button", name="Discard").click()  # confirmed (dialog accepted)
    expect(item).to_have_count(0)
    assert phone.states() == {}
    expect(phone.page.get_by_test_id("bar-summary")).to_have_text("All sent")


def test_a_fix_replaces_the_rejected_event_in_one_write(phone: Phone, server) -> None:
    _, engine, _ = server
    phone.sign_in("registrar", PASSWORD)
    bad = phone.record("HouseholdRegistered", {**household("Aya"), "members": []})
    phone.send_now()
    fixed = phone.page.evaluate(
        "async ([old, p]) => { const {ctx} = await import('/field/static/js/ctx.js');"
        " return (await ctx.record('HouseholdRegistered', p, {replaces: old})).id; }",
        [bad, household("Aya")])
    assert phone.states() == {fixed: "pending"}
    assert phone.send_now()["error"] is None
    assert phone.states() == {fixed: "accepted"}
    assert bad not in ledger_ids(engine)


def raw_storage(phone: Phone) -> str:
    """Everything IndexedDB and localStorage hold, bytes decoded as text too."""
    return str(phone.page.evaluate("""async () => {
      const text = (value) => JSON.stringify(value, (key, v) =>
        v instanceof Uint8Array || v instanceof ArrayBuffer
          ? new TextDecoder('latin1').decode(v) : v);
      const db = await new Promise((ok, no) => {
        const open = indexedDB.open('corridor-field'); open.onsuccess = () => ok(open.result);
        open.onerror = () => no(open.error); });
      const all = (store) => new Promise((ok) => {
        const request = db.transaction(store).objectStore(store).getAll();
        request.onsuccess = () => ok(request.result); });
      const keys = await new Promise((ok) => {
        const request = db.transaction('meta').objectStore('meta').getAllKeys();
        request.onsuccess = () => ok(request.result); });
      const held = {meta: await all('meta'), keys, outbox: await all('outbox'),
                    local: {...localStorage}};
      db.close();
      return text(held);
    }"""))


def test_no_name_is_readable_from_the_phone_storage(phone: Phone, server) -> None:
    _, engine, site = server
    site.api("registrar").post("/api/households", json={
        "gathering_point_id": "gp", "token": "F-77", "members": [
            {"given_name": "Qamar", "family_name": "Zahrawi", "sex": "female",
             "birth_year": 1990, "consent": True}]})
    add_user(engine, "amal", Role.REGISTRAR, PASSWORD, "gp")  # a username that is a name
    phone.sign_in("amal", PASSWORD)
    phone.record("HouseholdRegistered", household("Zubaida"))
    assert phone.send_now()["error"] is None
    pulled = phone.page.evaluate("async () => { const {ctx} = await import("
                                 "'/field/static/js/ctx.js'); return ctx.data.persons(); }")
    assert {p["given_name"] for p in pulled} >= {"Qamar", "Zubaida"}  # decrypted: there

    held = raw_storage(phone)
    assert "outbox" in held and "keyring" in held
    for secret in ("Qamar", "Zahrawi", "Zubaida", "Haddad", "F-77", "amal", "Amiriyah",
                   "given_name"):
        assert secret not in held, secret
    phone.lock()
    expect(phone.page.locator("body")).not_to_contain_text("Zubaida")
    expect(phone.page.locator("body")).not_to_contain_text("amal")


def wrong_pin(phone: Phone, then: str) -> None:
    for digit in "111111":
        phone.page.click(f"[data-digit='{digit}']")
    phone.page.click(".pin-ok")
    expect(phone.page.locator("main")).to_contain_text(then)


def test_wrong_pins_are_counted_and_the_tenth_wipes_the_key(phone: Phone, server) -> None:
    phone.sign_in("registrar", PASSWORD)
    phone.record("HouseholdRegistered", household("Mona"))
    phone.lock()
    wrong_pin(phone, "9 attempts left")
    wrong_pin(phone, "8 attempts left")
    phone.unlock()  # the right PIN still opens, and starts the count again
    phone.lock()
    for left in range(9, 0, -1):
        wrong_pin(phone, f"{left} attempts left")
    wrong_pin(phone, "can no longer be opened")  # the tenth: sign in again
    phone.sign_in("registrar", PASSWORD)
    assert phone.states() == {}


def test_registrations_are_refused_below_the_storage_floor(phone: Phone, server) -> None:
    phone.sign_in("registrar", PASSWORD)
    phone.page.evaluate("localStorage.setItem('corridor.floor_mb', String(10 ** 9))")
    refused = phone.page.evaluate("""async (p) => {
      const {ctx} = await import('/field/static/js/ctx.js');
      try { await ctx.record('HouseholdRegistered', p); return null; }
      catch (e) { return e.message; } }""", household("Dana"))
    assert refused == "The phone is almost full: no new registration until space is freed."
    assert phone.states() == {}
    phone.page.click("#nav >> text=Settings")
    expect(phone.page.locator(".settings .warning")).to_contain_text(
        "new registrations are refused")
    phone.page.get_by_role("button", name="Lock now").click()
    expect(phone.page.get_by_test_id("pin-dots")).to_be_visible()


def test_a_revoked_token_is_renewed_without_losing_the_store(phone: Phone, server) -> None:
    _, engine, _ = server
    phone.sign_in("registrar", PASSWORD)
    revoke_tokens(engine, "registrar", by="admin")
    event_id = phone.record("HouseholdRegistered", household("Ward"))
    assert phone.send_now()["error"] == "sync.unauthorised"
    assert phone.states() == {event_id: "pending"}
    phone.page.get_by_role("link", name="Sign in again").click()
    phone.page.fill("input[name=password]", PASSWORD)
    phone.page.click("form button[type=submit]")
    expect(phone.page.get_by_test_id("bar-summary")).to_have_text("All sent")
    assert phone.states() == {event_id: "accepted"}
    assert event_id in ledger_ids(engine)


def test_a_forgotten_pin_starts_a_new_store_after_a_warning(phone: Phone, server) -> None:
    phone.sign_in("registrar", PASSWORD)
    phone.page.route("**/api/sync/push", lambda route: route.abort())
    phone.record("HouseholdRegistered", household("Lina"))
    phone.lock()
    warnings: list[str] = []
    phone.page.on("dialog", lambda dialog: warnings.append(dialog.message))  # and accepted
    phone.page.get_by_role("button", name="Forgot the PIN?").click()
    expect(phone.page.locator(".warning")).to_contain_text("can no longer be opened")
    assert "1 of them have not reached the server" in warnings[0]
    phone.sign_in("registrar", PASSWORD)
    assert phone.states() == {}


def test_signing_out_warns_of_unsent_events_and_raises_no_alarm_after(phone: Phone,
                                                                      server) -> None:
    _, engine, _ = server
    phone.sign_in("registrar", PASSWORD)
    phone.page.route("**/api/sync/push", lambda route: route.abort())
    phone.record("HouseholdRegistered", household("Sawsan"))
    phone.page.click("#nav a[href='#/settings']")
    warnings: list[str] = []
    phone.page.on("dialog", lambda dialog: warnings.append(dialog.message))  # and accepted
    phone.page.get_by_role("button", name="Sign out").click()
    expect(phone.page.locator("input[name=username]")).to_be_visible()
    assert "1 records have NOT reached the server" in warnings[0]
    assert phone.page.evaluate("localStorage.getItem('corridor.store')") is None
    phone.page.unroute("**/api/sync/push")

    phone.sign_in("registrar", PASSWORD)  # the store was closed on purpose: no alarm
    expect(phone.page.get_by_test_id("alarm")).to_have_count(0)
    with engine.connect() as conn:
        revoked = conn.execute(select(func.count()).select_from(api_tokens)
                               .where(api_tokens.c.revoked.is_(True))).scalar_one()
    assert revoked == 1


def test_the_app_survives_a_browser_restart_with_no_network(browser: Browser, server,
                                                            tmp_path: Path) -> None:
    """A real profile on disk: the browser closed and started again, offline."""
    srv, engine, _ = server

    def start() -> Phone:
        context = browser.browser_type.launch_persistent_context(
            tmp_path / "profile", executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
            base_url=srv.url, viewport={"width": 360, "height": 640})
        context.set_default_timeout(15_000)
        return Phone(context, context.pages[0] if context.pages else context.new_page())

    phone = start()
    phone.open()
    phone.sign_in("registrar", PASSWORD)
    phone.worker_ready()
    phone.context.set_offline(True)
    event_id = phone.record("HouseholdRegistered", household("Hiba"))
    phone.context.close()  # the browser quits

    phone = start()
    phone.context.set_offline(True)
    phone.open()  # no network: the service worker answers
    expect(phone.page.get_by_test_id("bar-summary")).to_contain_text("1 unsent")
    phone.unlock()
    assert phone.states() == {event_id: "pending"}
    phone.context.set_offline(False)
    assert phone.send_now()["error"] is None
    assert phone.states() == {event_id: "accepted"}
    assert event_id in ledger_ids(engine)
    phone.context.close()
