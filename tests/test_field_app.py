"""The field app's shell: how it is served (service worker, manifest, policy, size),
its screens at 360×640 in English and Arabic, the idle lock, and a new version taking
over."""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from field_app import CTX, Phone, Server, household, ledger_ids
from playwright.sync_api import Browser, expect
from sqlalchemy import Engine
from web_server import PASSWORD, Site, open_operation

from corridor.field import routes
from corridor.storage.database import connect, initialise

SHOTS = Path("/work/shots/core")
SHELL_LIMIT = 1_500_000  # bytes, a scanner's wasm aside


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[Server, Engine]]:
    engine = connect(str(tmp_path / "corridor.db"))
    initialise(engine)
    server = Server()
    app = server.start(engine)
    open_operation(Site.with_users(server.url, app, engine), illustrative=True)
    yield server, engine
    if server.running:
        server.stop()
    engine.dispose()


@pytest.fixture
def phone(browser: Browser, server: tuple[Server, Engine]) -> Iterator[Phone]:
    context = browser.new_context(base_url=server[0].url, viewport={"width": 360, "height": 640})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    yield Phone(context, page)
    context.close()


def test_the_worker_lists_every_asset_and_is_versioned_by_their_bytes(tmp_path: Path) -> None:
    shell = routes.Shell.scan(routes.STATIC)
    assert "/field/static/js/app.js" in shell.assets
    assert "/field/static/vendor/idb/LICENSE" in shell.assets
    copy = tmp_path / "static"
    shutil.copytree(routes.STATIC, copy)
    assert routes.Shell.scan(copy).version == shell.version
    (copy / "field.css").write_text((copy / "field.css").read_text() + "\n/* changed */\n")
    assert routes.Shell.scan(copy).version != shell.version
    script = shell.worker()
    assert f'const VERSION = "{shell.version}"' in script and "/field/static/js/ctx.js" in script


def test_the_shell_stays_small() -> None:
    sizes = [p.stat().st_size for p in routes.STATIC.rglob("*")
             if p.is_file() and p.suffix != ".wasm"]
    assert sum(sizes) <= SHELL_LIMIT


def test_field_answers_carry_their_policy_and_caching(server: tuple[Server, Engine]) -> None:
    srv, _ = server
    assert srv.app is not None
    client = TestClient(srv.app)
    page = client.get("/field")
    assert page.status_code == 200 and "app.js" in page.text
    policy = page.headers["content-security-policy"]
    assert "script-src 'self' 'wasm-unsafe-eval'" in policy and "unsafe-inline" not in policy
    worker = client.get("/field/sw.js")
    assert worker.headers["service-worker-allowed"] == "/field"
    assert worker.headers["cache-control"] == "no-cache"
    assert worker.headers["content-type"].startswith("text/javascript")
    plain = client.get("/field/static/js/app.js")
    versioned = client.get("/field/static/js/app.js?v=1")
    assert plain.headers["cache-control"] == "no-cache"
    assert versioned.headers["cache-control"] == "public, max-age=31536000, immutable"
    manifest = client.get("/field/manifest.webmanifest").json()
    assert manifest["start_url"] == "/field" and manifest["display"] == "standalone"
    for icon in manifest["icons"]:
        assert client.get(icon["src"]).status_code == 200
    # Everything else keeps the strict policy: no WebAssembly outside the field app.
    assert "wasm" not in client.get("/login").headers["content-security-policy"]


def shoot(phone: Phone, lang: str, name: str, whole: bool = False) -> None:
    phone.page.screenshot(path=str(SHOTS / f"{name}-{lang}.png"), full_page=whole)


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_screens_at_360_by_640(phone: Phone, lang: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    phone.open()
    if lang == "ar":
        phone.page.click(".lang-switch")
        expect(phone.page.locator("html")).to_have_attribute("dir", "rtl")
    expect(phone.page.locator("input[name=username]")).to_be_visible()
    shoot(phone, lang, "1-sign-in")
    phone.page.fill("input[name=username]", "registrar")
    phone.page.fill("input[name=password]", PASSWORD)
    phone.page.click("form button[type=submit]")
    expect(phone.page.locator("form button[type=submit]")).to_be_enabled()  # calibrated
    shoot(phone, lang, "2-pin")
    phone.page.fill("input[name=pin]", "246810")
    phone.page.fill("input[name=pin_again]", "246810")
    phone.page.click("form button[type=submit]")
    expect(phone.page.locator("#nav")).to_be_visible()
    expect(phone.page.get_by_test_id("notice")).to_be_visible()  # the answer to persist()
    if lang == "en":
        expect(phone.page.get_by_test_id("notice")).to_contain_text("ersistent")
        # A notice on screen follows a change of language.
        phone.page.evaluate(f"async () => {{ {CTX} await ctx.setLang('ar'); }}")
        expect(phone.page.get_by_test_id("notice")).not_to_contain_text("ersistent")
        phone.page.evaluate(f"async () => {{ {CTX} await ctx.setLang('en'); }}")
        expect(phone.page.get_by_test_id("notice")).to_contain_text("ersistent")
    shoot(phone, lang, "3-home")
    phone.record("HouseholdRegistered", {**household("Aya"), "members": []})
    phone.send_now()
    phone.context.set_offline(True)
    phone.record("HouseholdRegistered", household("Mariam"))
    phone.page.click("#nav a[href='#/outbox']")
    expect(phone.page.locator(".outbox-item")).to_have_count(2)
    shoot(phone, lang, "4-outbox")
    phone.page.click("#nav a[href='#/settings']")
    expect(phone.page.get_by_test_id("free")).to_be_visible()
    shoot(phone, lang, "5-settings", whole=True)
    phone.lock()
    shoot(phone, lang, "6-lock")
    body = phone.page.locator("body")
    expect(body).not_to_contain_text("Mariam")
    expect(body).not_to_contain_text("registrar")


def test_times_are_on_the_24_hour_clock_in_both_languages(phone: Phone) -> None:
    phone.open()
    for lang in ("en", "ar"):
        shown = phone.page.evaluate("""async (lang) => {
            const i18n = await import('/field/static/js/i18n.js');
            await i18n.load(lang);
            const afternoon = new Date(2016, 11, 15, 15, 5);
            return [i18n.clock(afternoon), i18n.dateTime(afternoon)];
        }""", lang)
        for text in shown:
            assert not re.search(r"\b[AaPp]\.?[Mm]\b|(?<!\S)[صم](?!\S)", text), text  # AM/PM
            digits = re.sub(r"\D", "", text.translate(str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")))
            assert "1505" in digits, text


def test_the_phone_locks_itself_when_idle(phone: Phone) -> None:
    phone.page.clock.install()
    phone.open()
    phone.sign_in("registrar", PASSWORD)
    phone.page.clock.fast_forward("04:00")
    expect(phone.page.locator("#nav")).to_be_visible()  # 4 minutes: still open
    phone.page.clock.fast_forward("02:00")
    expect(phone.page.get_by_test_id("pin-dots")).to_be_visible()
    assert phone.page.evaluate("async () => (await import('/field/static/js/session.js'))"
                               ".session.key") is None


def test_a_new_version_takes_over_on_the_next_load(phone: Phone, server, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    srv, engine = server
    phone.open()
    phone.sign_in("registrar", PASSWORD)
    phone.worker_ready()
    caches = "async () => await caches.keys()"
    before = phone.page.evaluate(caches)
    assert len(before) == 1
    api_cached = phone.page.evaluate("""async () => {
      const cache = await caches.open((await caches.keys())[0]);
      return (await cache.keys()).filter((r) => r.url.includes('/api/')).length; }""")
    assert api_cached == 0

    copy = tmp_path / "static"
    shutil.copytree(routes.STATIC, copy)
    (copy / "field.css").write_text((copy / "field.css").read_text()
                                    + "\nbody { outline: 1px solid transparent; }\n")
    monkeypatch.setattr(routes, "STATIC", copy)
    srv.stop()
    srv.start(engine)  # the new version, on the same origin

    phone.page.reload()  # the browser checks sw.js on navigation and installs the new one
    expect(phone.page.locator("#notice")).to_contain_text("A new version")
    phone.unlock()
    phone.page.click("#notice button")  # "Use it": locks, reloads on the new version
    expect(phone.page.get_by_test_id("pin-dots")).to_be_visible()
    after = phone.page.evaluate(caches)
    assert len(after) == 1 and after != before
    css = phone.page.evaluate("async () => (await (await fetch('/field/static/field.css'))"
                              ".text())")
    assert "outline: 1px solid transparent" in css


def test_the_phone_sends_on_its_own_every_30_seconds(phone: Phone, server) -> None:
    _, engine = server
    phone.page.clock.install()
    phone.open()
    phone.sign_in("registrar", PASSWORD)
    event_id = phone.record("HouseholdRegistered", household("Rasha"))
    assert phone.states() == {event_id: "pending"}
    phone.page.clock.fast_forward("00:31")
    # The timer's sync is under way: wait for its receipt (never starting one here),
    # then the bar says so.
    deadline = time.monotonic() + 15
    while phone.states() != {event_id: "accepted"}:
        assert time.monotonic() < deadline, phone.states()
        time.sleep(0.1)
    expect(phone.page.get_by_test_id("bar-summary")).to_have_text("All sent")
    assert event_id in ledger_ids(engine)


def test_every_shell_string_is_in_both_languages() -> None:
    """The shell's keys — literals in its modules, and the families it builds from a
    state, a role or an event type — are in English and Arabic with the same
    placeholders, and the Arabic ones are Arabic."""
    import json
    import re

    from corridor.domain.vocabulary import Role

    js = routes.STATIC / "js"
    code = "\n".join(p.read_text() for p in js.glob("*.js"))
    literals = set(re.findall(r'"([a-z_]+(?:\.[a-z_]+)+)"', code))
    keys = {k for k in literals if not k.startswith("corridor.")}
    fix_routes = re.search(r"FIX_ROUTES = \{(.*?)\};", code, re.S)
    assert fix_routes is not None
    keys |= {f"state.{s}" for s in ("pending", "sending", "accepted", "duplicate", "rejected",
                                    "conflict")}
    keys |= {f"role.{r}" for r in Role} | {"lang.en", "lang.ar"}
    keys |= {f"type.{t}" for t in re.findall(r"(\w+): \"", fix_routes.group(1))}
    def bundle(name: str, lang: str) -> dict[str, str]:
        return dict(json.loads((routes.STATIC / "locales" / f"{name}.{lang}.json").read_text()))

    bundles = {lang: bundle("shell", lang) for lang in ("en", "ar")}
    for lang, strings in bundles.items():  # js/ holds the screens' scan.js and codes.js too
        assert keys - set(strings) - set(bundle("screens", lang)) == set(), lang
    placeholders = re.compile(r"\{(\w+)\}")
    for key, english in bundles["en"].items():
        arabic = bundles["ar"][key]
        assert set(placeholders.findall(english)) == set(placeholders.findall(arabic)), key
        assert key in {"lang.en"} or re.search("[\u0600-\u06ff]", arabic), key
    assert set(bundles["en"]) == set(bundles["ar"])


def test_the_phone_locks_when_it_comes_back_after_being_hidden_too_long(phone: Phone) -> None:
    """Timers sleep in the background: the lock is decided on coming back."""
    page = phone.page
    page.clock.install()
    phone.open()
    phone.sign_in("registrar", PASSWORD)
    # A second ahead of the page's clock, which goes on while the test reads it: the
    # clock cannot be paused at a moment already past.
    now = datetime.fromtimestamp(page.evaluate("Date.now()") / 1000, UTC) + timedelta(seconds=1)
    page.clock.pause_at(now)  # no timer fires from here: only the return can lock

    def visibility(state: str) -> None:
        page.evaluate("""(state) => {
          Object.defineProperty(document, 'visibilityState', {value: state, configurable: true});
          document.dispatchEvent(new Event('visibilitychange')); }""", state)

    visibility("hidden")
    page.clock.set_system_time(now + timedelta(minutes=4))
    visibility("visible")
    expect(page.locator("#nav")).to_be_visible()  # 4 minutes away: still open
    visibility("hidden")
    page.clock.set_system_time(now + timedelta(minutes=10))
    visibility("visible")
    expect(page.get_by_test_id("pin-dots")).to_be_visible()
