"""The field app on a phone-sized headless Chromium against a real `corridor serve`:
how its sync compares with a plain HTTP client, and what a phone waits for
(docs/benchmarks.md, "Field app").

    .venv/bin/python -m bench.field [--events 10000 --persons 5000 --repeat 5]

Two servers, each a `corridor serve` process on its own fresh SQLite database with
the same operation and a registrar stationed at its gathering point, and a Chromium
profile on disk, as a phone's:
- the app signs in on the first (password, then a PIN, the iterations calibrated),
  records `--events` household registrations (demo families, names in both scripts)
  through its own `ctx.record` with sync stopped (each written durably, encrypted,
  before the next: the outbox write time per event), then syncs: the time until every
  receipt is applied (the ledger has them all), and the whole sync (push, the
  scope's pull of those households, locations, the device report);
- the same events, as the phone holds them, are pushed to the second server by a
  plain HTTP client (httpx) in the app's batches of 500: the baseline, same run;
- unlock: PBKDF2 at the calibrated iterations alone, then the whole unlock (the
  data key unwrapped, the session, the pulled data and the outbox decrypted) with an
  empty outbox and with the events held after the sync (kept for the retention
  window);
- a manifest name search on the device (`names.js`, the project's normalisation) over
  `--persons` people, by a name as registered and by the same name in the other
  script, p50 and p95, and how often the person is among the first 20;
- the app shell: the bytes the service worker precached, the scanner's wasm apart.

Results are printed as a table and written to bench/results/field-<date>.json.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
from playwright.sync_api import Page, expect, sync_playwright

from bench.faults.server import Server
from corridor.demo.population import Population, other_script
from corridor.services.access import add_user, issue_token
from corridor.storage.database import connect, initialise

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORD = "bench field lantern"
PIN = "246810"
BATCH = 500  # the app's (sync.js)
CHUNK = 500  # registrations recorded per call into the page, with progress between
RESULTS = Path(__file__).parent / "results"
JS = "/field/static/js/"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


# --- the servers -------------------------------------------------------------------------

def served(directory: Path, name: str) -> tuple[Server, str]:
    """A fresh database with the operation and the accounts, served; the registrar's
    token for a plain client."""
    database = str(directory / f"{name}.db")
    engine = connect(database)
    initialise(engine)
    add_user(engine, "coordinator", "coordinator", PASSWORD)
    add_user(engine, "registrar", "registrar", PASSWORD, "gp")
    setup = issue_token(engine, "coordinator", "bench-setup")
    token = issue_token(engine, "registrar", "bench-http")
    engine.dispose()
    server = Server(database, directory / f"{name}.log")
    server.start()
    with httpx.Client(base_url=server.url, timeout=60,
                      headers={"Authorization": f"Bearer {setup}"}) as co:
        for path, body in operation():
            co.post(path, json=body).raise_for_status()
    return server, token


def operation() -> list[tuple[str, dict[str, Any]]]:
    places = [("gp", "gathering_point", "al-Amiriyah", 36.1769, 37.1352),
              ("cp1", "checkpoint", "Salah al-Din", 36.1842, 37.1296),
              ("rc", "reception", "Atareb", 36.1386, 36.8306)]
    return [("/api/operation", {"name": "Field bench", "illustrative": True}),
            *[("/api/locations", {"location_id": i, "kind": k, "name": n, "latitude": la,
                                  "longitude": lo}) for i, k, n, la, lo in places],
            ("/api/routes", {"route_id": "r1", "name": "GP to RC", "origin_id": "gp",
                             "checkpoint_ids": ["cp1"], "destination_id": "rc"}),
            ("/api/vehicles", {"vehicle_id": "bus1", "kind": "bus", "label": "Bus 1",
                               "capacity": 50}),
            ("/api/convoys", {"convoy_id": "c1", "label": "Convoy 1", "route_id": "r1",
                              "vehicle_ids": ["bus1"]})]


def families(count: int, seed: int) -> list[list[dict[str, Any]]]:
    """`count` demo households (sizes and names as the demo draws them)."""
    found: list[list[dict[str, Any]]] = []
    people = count * 5
    while len(found) < count:
        found = Population(SimpleNamespace(rng=random.Random(seed), people=people)).households()
        people *= 2
    return found[:count]


def registrations(count: int, seed: int) -> list[dict[str, Any]]:
    """HouseholdRegistered payloads with ids made as the phone makes them."""
    return [{"household_id": str(uuid.uuid4()), "gathering_point_id": "gp",
             "members": [{**m, "person_id": str(uuid.uuid4())} for m in members]}
            for members in families(count, seed)]


# --- the phone -----------------------------------------------------------------------------

def sign_in(page: Page, url: str) -> None:
    page.goto(url + "/field")
    page.fill("input[name=username]", "registrar")
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    expect(page.get_by_test_id("calibration")).to_contain_text("ms")
    page.fill("input[name=pin]", PIN)
    page.fill("input[name=pin_again]", PIN)
    page.click("form button[type=submit]")
    expect(page.locator("#nav")).to_be_visible()
    page.evaluate("async () => { await navigator.serviceWorker.ready; }")
    page.wait_for_function("navigator.serviceWorker.controller !== null")


def stop_sync(page: Page) -> None:
    """No timer, no `online` sync: the bench decides when the phone syncs. And no idle
    lock while it records (a setting, in minutes; nobody touches the screen)."""
    page.evaluate(f"async () => {{ localStorage.setItem('corridor.idle_minutes', '600');"
                  f" const s = await import('{JS}sync.js'); s.stop(); await s.syncNow(); }}")


def record_all(page: Page, payloads: list[dict[str, Any]]) -> list[float]:
    """Each registration through ctx.record, one after another, on the registration
    form (where a registrar saves one: the screen's own redrawing is in the time, as
    on the phone); ms each."""
    page.evaluate("() => { location.hash = '#/registrar/register'; }")
    page.wait_for_selector("main form")
    times: list[float] = []
    for n in range(0, len(payloads), CHUNK):
        times += page.evaluate(f"""async (payloads) => {{
            const {{ctx}} = await import('{JS}ctx.js');
            const times = [];
            for (const p of payloads) {{
                const started = performance.now();
                await ctx.record("HouseholdRegistered", p);
                times.push(performance.now() - started);
            }}
            return times;
        }}""", payloads[n:n + CHUNK])
        print(f"  recorded {len(times):,} of {len(payloads):,}, the last {CHUNK} at "
              f"{statistics.median(times[-CHUNK:]):.1f} ms each (median)", flush=True)
    return times


def sync_timed(page: Page) -> dict[str, Any]:
    """Sync now: ms until every event is acknowledged (receipts applied and stored),
    and until the whole sync is done."""
    return dict(page.evaluate(f"""async () => {{
        const s = await import('{JS}sync.js');
        const outbox = await import('{JS}outbox.js');
        const done = () => outbox.all().every((r) => outbox.ACKNOWLEDGED.has(r.state));
        const started = performance.now();
        const whole = s.syncNow();
        let acknowledged = null;
        while (acknowledged === null) {{
            if (done()) acknowledged = performance.now() - started;
            else await new Promise((r) => setTimeout(r, 5));
        }}
        await whole;
        const states = {{}};
        for (const r of outbox.all()) states[r.state] = (states[r.state] || 0) + 1;
        return {{acknowledged, total: performance.now() - started, states,
                 error: s.status.error}};
    }}"""))


def held_events(page: Page) -> list[dict[str, Any]]:
    """The events as the phone pushes them."""
    return list(page.evaluate(f"""async () => {{
        const outbox = await import('{JS}outbox.js');
        return outbox.all().map(({{id, type, payload, device_id, author, recorded_at}}) =>
            ({{id, type, payload, device_id, author, recorded_at}}));
    }}"""))


def unlock_times(page: Page, repeat: int) -> dict[str, Any]:
    """PBKDF2 and the key's unwrapping alone, and the whole unlock, in ms."""
    return dict(page.evaluate(f"""async ([pin, repeat]) => {{
        const db = await import('{JS}db.js');
        const crypto = await import('{JS}crypto.js');
        const session = await import('{JS}session.js');
        const keyring = await db.getMeta("keyring");
        const derive = [], whole = [];
        for (let i = 0; i < repeat; i++) {{
            let started = performance.now();
            if (!(await crypto.unwrap(pin, keyring))) throw new Error("wrong PIN");
            derive.push(performance.now() - started);
            session.lock();
            started = performance.now();
            if (!(await session.unlock(pin)).ok) throw new Error("not unlocked");
            whole.push(performance.now() - started);
        }}
        return {{iterations: keyring.iterations, derive, whole}};
    }}""", [PIN, repeat]))


def name_search(page: Page, people: list[dict[str, Any]],
                queries: list[tuple[str, str]]) -> dict[str, Any]:
    """Each query through names.search over the people: ms each, and whether the
    person looked for came among the first 20."""
    return dict(page.evaluate(f"""async ([people, queries]) => {{
        const names = await import('{JS}names.js');
        const times = [], found = [];
        for (const [query, wanted] of queries) {{
            const started = performance.now();
            const hits = names.search(people, query, 20);
            times.push(performance.now() - started);
            found.push(hits.some((h) => h.person.person_id === wanted));
        }}
        return {{times, found}};
    }}""", [people, [list(q) for q in queries]]))


def shell_bytes(page: Page) -> dict[str, int]:
    """The bytes the service worker precached, by kind."""
    return dict(page.evaluate("""async () => {
        const sizes = {shell: 0, wasm: 0, files: 0};
        for (const name of await caches.keys()) {
            const cache = await caches.open(name);
            for (const request of await cache.keys()) {
                const bytes = (await (await cache.match(request)).arrayBuffer()).byteLength;
                sizes[request.url.endsWith('.wasm') ? 'wasm' : 'shell'] += bytes;
                sizes.files += 1;
            }
        }
        return sizes;
    }"""))


def searches(count: int, seed: int) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """`count` demo people, and queries for some of them: given and family name as
    registered, and the same in the other script."""
    rng = random.Random(seed)
    people = [m for members in families(count, seed + 1) for m in members][:count]
    queries: list[tuple[str, str]] = []
    for person in rng.sample(people, 100):
        typed = f"{person['given_name']} {person['family_name']}"
        other = f"{other_script(person['given_name'], rng)} " \
                f"{other_script(person['family_name'], rng)}"
        queries += [(typed, person["person_id"]), (other, person["person_id"])]
    return people, queries


# --- the baseline --------------------------------------------------------------------------

def plain_push(url: str, token: str, events: list[dict[str, Any]]) -> tuple[float, int]:
    """The events pushed by httpx in the app's batches; seconds, and how many accepted."""
    accepted = 0
    with httpx.Client(base_url=url, timeout=600,
                      headers={"Authorization": f"Bearer {token}"}) as client:
        started = time.perf_counter()
        for n in range(0, len(events), BATCH):
            answer = client.post("/api/sync/push", json={"events": events[n:n + BATCH]})
            answer.raise_for_status()
            accepted += sum(r["status"] == "accepted" for r in answer.json()["receipts"])
        return time.perf_counter() - started, accepted


# --- the run -------------------------------------------------------------------------------

def run(args: argparse.Namespace) -> dict[str, Any]:
    payloads = registrations(args.events, args.seed)
    people, queries = searches(args.persons, args.seed)
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        directory = Path(tmp)
        app_server, _ = served(directory, "app")
        plain_server, plain_token = served(directory, "plain")
        # A profile on disk, as a phone's: IndexedDB commits reach the file system
        # (a fresh context's storage would stay in memory).
        context = playwright.chromium.launch_persistent_context(
            str(directory / "profile"), executable_path=CHROMIUM, args=ARGS,
            viewport={"width": 360, "height": 640}, is_mobile=True, has_touch=True)
        try:
            context.set_default_timeout(600_000)
            page = context.new_page()
            sign_in(page, app_server.url)
            stop_sync(page)
            print("signed in; recording", flush=True)
            shell = shell_bytes(page)
            empty = unlock_times(page, args.repeat)
            writes = record_all(page, payloads)
            events = held_events(page)
            print("syncing", flush=True)
            synced = sync_timed(page)
            print(f"  synced: {synced}", flush=True)
            held = unlock_times(page, args.repeat)
            search = name_search(page, people, queries)
            context.close()
            plain_seconds, accepted = plain_push(plain_server.url, plain_token, events)
        finally:
            app_server.stop()
            plain_server.stop()
    assert synced["states"] == {"accepted": args.events}, synced
    assert accepted == args.events, accepted
    return {"events": args.events, "persons_registered": sum(len(p["members"]) for p in payloads),
            "write_ms": writes, "sync": synced, "plain_seconds": plain_seconds,
            "unlock_empty": empty, "unlock_held": held, "search": search,
            "search_people": len(people), "shell": shell,
            "date": datetime.now(UTC).isoformat(timespec="seconds")}


def table(r: dict[str, Any]) -> str:
    n = r["events"]
    app_s, whole_s = r["sync"]["acknowledged"] / 1000, r["sync"]["total"] / 1000
    plain_s = r["plain_seconds"]
    writes, times = r["write_ms"], r["search"]["times"]
    typed, other = r["search"]["found"][0::2], r["search"]["found"][1::2]
    times_typed, times_other = times[0::2], times[1::2]
    rows = [
        ("sync by the app, until every receipt is applied", f"{app_s:.2f} s "
         f"({n / app_s:,.0f} events/s)", f"{plain_s:.2f} s ({n / plain_s:,.0f} events/s)",
         f"{plain_s / app_s:.2f}"),
        ("the whole sync (push, pull of the scope, locations, report)",
         f"{whole_s:.2f} s", "—", f"{plain_s / whole_s:.2f}"),
        ("plain HTTP client pushing the same events (baseline)", f"{plain_s:.2f} s", "—", "—"),
        ("outbox write per event (ctx.record), p50 / p95",
         f"{statistics.median(writes):.1f} / {percentile(writes, 95):.1f} ms", "—", "—"),
        ("… the first 1,000 / the last 1,000 (p50)",
         f"{statistics.median(writes[:1000]):.1f} / {statistics.median(writes[-1000:]):.1f} ms",
         "—", "—"),
        (f"name search over {r['search_people']:,} people, as registered, p50 / p95",
         f"{statistics.median(times_typed):.0f} / {percentile(times_typed, 95):.0f} ms",
         "—", f"found in top 20: {sum(typed)}/{len(typed)}"),
        ("the same names in the other script, p50 / p95",
         f"{statistics.median(times_other):.0f} / {percentile(times_other, 95):.0f} ms",
         "—", f"found in top 20: {sum(other)}/{len(other)}"),
        ("app shell precached (the scanner's wasm apart)",
         f"{r['shell']['shell']:,} bytes ({r['shell']['files']} files with the wasm)", "—", "—"),
        ("the scanner's wasm", f"{r['shell']['wasm']:,} bytes", "—", "—"),
        (f"PBKDF2 and unwrap at {r['unlock_empty']['iterations']:,} iterations (calibrated)",
         f"{statistics.median(r['unlock_empty']['derive']):.0f} ms", "—", "—"),
        ("whole unlock, empty outbox",
         f"{statistics.median(r['unlock_empty']['whole']):.0f} ms", "—", "—"),
        (f"whole unlock, {n:,} acknowledged events held",
         f"{statistics.median(r['unlock_held']['whole']):.0f} ms", "—", "—"),
    ]
    lines = [f"{n:,} queued household registrations ({r['persons_registered']:,} people), "
             f"{r['date']}", "", "| measure | value | baseline | ratio (baseline / value) |",
             "|---|--:|--:|--:|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--persons", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=5, help="unlocks measured, each way")
    parser.add_argument("--seed", type=int, default=2016)
    args = parser.parse_args()
    result = run(args)
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"field-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps({"args": vars(args), **result}, indent=1))
    print(table(result))
    print(f"\n(raw figures in {path})")


if __name__ == "__main__":
    main()
