"""The field app's screens in real Chromium at 360×640, the walk a new user takes.

A registrar, offline, registers a household (Arabic names, a token made on the phone)
and boards it with a household the server already held; a monitor at the checkpoint,
offline, removes one person and counts the rest; reception records the arrival and
checks people in by a name typed in Latin letters and by a photo of a token card's
QR code. Each phone reconnects, and the server holds every fact exactly once.
Screenshots of each screen in English and Arabic go to /work/shots for a person to
look at.
"""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from pathlib import Path

import segno
from conftest import CHROMIUM, CHROMIUM_ARGS
from field_app import CTX
from field_phone import all_sent, phone, shot
from operation_setup import ok
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from web_server import Site, open_operation, register

from corridor.domain.codes import Kind, payload, with_check
from corridor.storage.schema import events


def arabic(page: Page, name: str, hash_: str, at: str | None = None) -> None:
    """The same screen in Arabic, right to left (the language chosen as settings chooses
    it), then English again."""
    language(page, "ar")
    page.goto(f"/field#{hash_}")
    expect(page.locator("main .screen-head h1")).to_be_visible()
    shot(page, f"{name}-ar", at)
    language(page, "en")
    page.goto("/field#/home")


def language(page: Page, lang: str) -> None:
    page.evaluate(f"async (l) => {{ {CTX} await ctx.setLang(l); }}", lang)
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")


def submit(page: Page) -> None:
    page.click("form.screen-form > button[type=submit]")


def test_the_walk_from_registration_to_check_in(browser: Browser, site: Site,
                                                tmp_path: Path) -> None:
    open_operation(site, illustrative=True)
    khalil = register(site, "F-7", "Khalil", ["Layla", "Omar"])
    shown = tmp_path / "shown.png"
    token = registrar_registers_and_boards(browser, site, khalil, shown)
    assert counts(site, "HouseholdRegistered", "PersonBoarded") == [3, 4]

    ok(site.api("coordinator").post("/api/convoys/c1/departure"))
    monitor_counts_with_one_removal(browser, site)
    assert counts(site, "CheckpointPassed", "PersonRemoved") == [2, 1]

    card = tmp_path / "card.png"
    segno.make(payload(Kind.HOUSEHOLD, "F-7"), error="m", micro=False).save(card, scale=6)
    wristband = tmp_path / "wristband.png"
    segno.make(payload(Kind.PERSON, khalil["Layla"]), error="m", micro=False).save(wristband,
                                                                                  scale=6)
    reception_checks_in(browser, site, card, shown, wristband)
    assert counts(site, "VehicleArrived", "PersonCheckedIn") == [2, 2]

    # Every fact once, as each phone recorded it.
    assert counts(site, "HouseholdRegistered", "TokenIssued", "PersonBoarded", "CheckpointPassed",
                  "PersonRemoved", "VehicleArrived", "PersonCheckedIn") == [3, 1, 4, 2, 1, 2, 2]
    registered = select(events.c.payload).where(events.c.type == "HouseholdRegistered")
    with site.engine.connect() as conn:
        tokens = {json.loads(body).get("token") for body in conn.execute(registered).scalars()}
    assert tokens == {"F-7", token, None}


def counts(site: Site, *types: str) -> list[int]:
    with site.engine.connect() as conn:
        found = Counter(conn.execute(select(events.c.type)).scalars())
    return [found[t] for t in types]


def registrar_registers_and_boards(browser: Browser, site: Site, khalil: dict[str, str],
                                   shown: Path) -> str:
    device = phone(browser, site, "registrar")
    page, context = device.page, device.context
    expect(page.locator(".queue [data-household]")).to_have_count(1)
    shot(page, "registrar-home-en")
    arabic(page, "registrar-home", "/home")

    # A registration the server refused is fixed in the form it came from, prefilled.
    refused = {"household_id": str(uuid.uuid4()), "gathering_point_id": "gp", "members": [
        {"person_id": str(uuid.uuid4()), "given_name": "Rania", "family_name": "Saleh",
         "destination_id": "Bab al-Hawa!"}]}
    device.record("HouseholdRegistered", refused)
    device.send_now()
    expect(page.locator(".rejected .reason")).to_contain_text("payload.members.0.destination_id")
    page.click(".rejected button")
    expect(page.locator("[name='m0.given_name']")).to_have_value("Rania")
    expect(page.locator("[name='m0.family_name']")).to_have_value("Saleh")
    shot(page, "registrar-fix-en")
    submit(page)
    expect(page.locator(".saved .badge")).to_have_text("On this phone")
    all_sent(device)
    expect(page.locator(".saved .badge")).to_have_text("Accepted")

    context.set_offline(True)
    page.goto("/field#/home")
    page.click("text=Register a household")
    page.fill("[name='m0.given_name']", "فاطمة")
    page.fill("[name='m0.family_name']", "الحلبي")
    page.check("[name='m0.sex'][value=female]")
    page.fill("[name='m0.age']", "34")
    page.check("[name='m0.needs'][value=pregnant]")
    page.check("[name='m0.consent']")
    page.click("text=+ Add a member")
    page.fill("[name='m1.given_name']", "علي")
    page.fill("[name='m1.birth_year']", "1990")
    page.fill("[name='m1.age']", "36")
    page.click("text=Make a new token")
    shot(page, "registrar-register-en")
    submit(page)
    expect(page.locator("[data-field='m1.birth_year'] .field-error")).to_have_text(
        "Member 2, Year of birth: give the year of birth or the age, not both")
    shot(page, "registrar-register-error-en", "[data-field='m1.birth_year']")
    page.fill("[name='m1.birth_year']", "")
    submit(page)
    expect(page.locator(".saved")).to_contain_text("Saved on this phone")
    expect(page.locator(".saved .badge")).to_have_text("On this phone")
    token = page.locator(".token-card").get_attribute("data-token")
    assert token and len(token) == 9
    shot(page, "registrar-registered-en")
    # The QR code as another phone's camera would see this screen (in full, not under
    # the navigation bar).
    page.locator(".token-card .qr").evaluate("e => e.scrollIntoView({block: 'center'})")
    page.locator(".token-card .qr").screenshot(path=str(shown))

    page.click("text=Board this household")
    page.check("input[name=vehicle][value=bus1]")
    expect(page.locator(".capacity .figure strong")).to_have_text("2/40")
    shot(page, "registrar-board-en", ".capacity")
    submit(page)
    expect(page.locator(".records .badge")).to_have_count(2)
    shot(page, "registrar-boarded-en")

    # The Khalils' card, typed: a slip in the check is refused, saying so.
    page.goto("/field#/registrar/board")
    right = with_check("F-7")
    page.fill(".scanner[data-kind=H] .code-input", right[:-1] + ("A" if right[-1] != "A" else "C"))
    page.click(".scanner[data-kind=H] .scan-use")
    expect(page.locator(".scanner[data-kind=H] .scan-error")).to_contain_text(
        "does not check: a character is wrong or two are swapped")
    page.fill(".scanner[data-kind=H] .code-input", right.lower())
    page.click(".scanner[data-kind=H] .scan-use")
    expect(page.locator(f"input[name=person][value='{khalil['Layla']}']")).to_be_checked()
    page.uncheck(f"input[name=person][value='{khalil['Omar']}']")
    page.check("input[name=vehicle][value=bus1]")
    submit(page)
    expect(page.locator("[data-field=override_reason] .field-error")).to_contain_text(
        "say why the household is split")
    page.fill("[name=override_reason]", "Omar follows with his uncle")
    submit(page)
    expect(page.locator(".figure strong")).to_have_text("3/40")
    arabic(page, "registrar-board", "/registrar/board", "input[name=vehicle]")
    arabic(page, "registrar-register", "/registrar/register", ".member")
    assert counts(site, "HouseholdRegistered", "PersonBoarded") == [2, 0]

    context.set_offline(False)
    all_sent(device)
    page.goto("/field#/home")
    expect(page.locator(".recent .badge")).to_have_text(["Accepted", "Accepted"])
    shot(page, "registrar-home-synced-en")

    # Rania's household was registered without a token: one made on the phone.
    page.click(f".recent [data-household='{refused['household_id']}']")
    shot(page, "registrar-token-en")
    arabic(page, "registrar-token", f"/registrar/token?household={refused['household_id']}")
    page.goto(f"/field#/registrar/token?household={refused['household_id']}")
    page.click("text=Make a new token")
    expect(page.locator(".saved")).to_contain_text("Token saved on this phone")
    expect(page.locator(".token-card .token-text")).to_have_text(re.compile(r"^\w{4}-\w{4}-\w$"))
    shot(page, "registrar-token-saved-en")

    # A boarding the server refused is fixed in the boarding screen: Omar, onto Bus 2.
    device.record("PersonBoarded", {"person_id": khalil["Omar"], "vehicle_id": "Bus 2"})
    device.send_now()
    page.goto("/field#/home")
    page.click(".rejected button")
    expect(page.locator(f"input[name=person][value='{khalil['Omar']}']")).to_be_checked()
    page.check("input[name=vehicle][value=bus2]")
    expect(page.locator(".capacity .figure strong")).to_have_text("1/40")
    submit(page)
    all_sent(device)
    expect(page.locator(".records .badge")).to_have_text("Accepted")
    context.close()
    return token


def test_a_hold_shows_at_once_and_the_server_has_the_last_word(browser: Browser,
                                                               site: Site) -> None:
    open_operation(site, illustrative=True)
    register(site, "F-7", "Khalil", ["Layla", "Omar"])
    ok(site.api("registrar").post("/api/vehicles/bus1/boarding", json={"token": "F-7"}))
    ok(site.api("coordinator").post("/api/convoys/c1/departure"))
    device = phone(browser, site, "checkpoint_monitor")
    row = device.page.locator("[data-vehicle=bus1]")
    expect(row).to_contain_text("on the way")
    device.context.set_offline(True)
    device.record("ConvoyHeld", {"convoy_id": "c1", "location_id": "cp1",
                                 "reason": "Road closed ahead"})
    expect(row).to_contain_text("held")  # this phone's hold, before it is sent
    device.context.set_offline(False)
    all_sent(device)
    expect(row).to_contain_text("held")  # the server's word now
    ok(site.api("coordinator").post("/api/convoys/c1/release", json={"note": "Road open"}))
    all_sent(device)  # and the pull after it: a coordinator released the convoy
    expect(row).to_contain_text("on the way")
    device.context.close()


def monitor_counts_with_one_removal(browser: Browser, site: Site) -> None:
    device = phone(browser, site, "checkpoint_monitor")
    page, context = device.page, device.context
    expect(page.locator("[data-vehicle=bus1]")).to_contain_text("3 aboard")
    shot(page, "monitor-home-en")
    arabic(page, "monitor-home", "/home")

    # A headcount the server refused is fixed in the count screen, prefilled.
    device.record("CheckpointPassed", {"vehicle_id": "bus2", "checkpoint_id": "Salah al-Din",
                                       "headcount": 0})
    device.send_now()
    page.click(".rejected button")
    expect(page.locator("#f-headcount")).to_have_value("0")
    expect(page.locator("main .screen-head h1")).to_contain_text("Bus 2")
    page.fill("#f-headcount", "1")
    expect(page.locator(".difference")).to_have_text("The count matches the manifest")
    submit(page)
    all_sent(device)
    expect(page.locator(".saved .badge")).to_have_text("Accepted")
    page.goto("/field#/home")

    context.set_offline(True)
    page.click("[data-vehicle=bus1]")
    page.click("text=Remove a person")
    page.fill("#f-person_id", "Ali")  # علي, typed in Latin letters
    expect(page.locator(".pick")).to_have_count(1)
    page.click(".pick")
    page.check("[name=reason][value=detained]")
    page.fill("[name=removed_by]", "checkpoint guard")
    shot(page, "monitor-remove-en")
    submit(page)
    expect(page.locator(".saved")).to_contain_text("علي")
    expect(page.locator(".figure strong")).to_have_text("2")
    page.click("text=Back to the vehicle")
    expect(page.locator(".figures .figure").first).to_contain_text("2")
    page.fill("#f-headcount", "2")
    expect(page.locator(".difference")).to_have_text("The count matches the manifest")
    shot(page, "monitor-count-en")
    submit(page)
    expect(page.locator(".saved")).to_contain_text("Count of 2 saved on this phone")
    arabic(page, "monitor-count", "/monitor/count?vehicle=bus1")
    arabic(page, "monitor-remove", "/monitor/remove?vehicle=bus1")
    page.goto("/field#/monitor/hold?vehicle=bus1")
    shot(page, "monitor-hold-en")
    page.goto("/field#/monitor/incident?vehicle=bus1")
    shot(page, "monitor-incident-en")
    arabic(page, "monitor-incident", "/monitor/incident?vehicle=bus1")

    context.set_offline(False)
    all_sent(device)
    context.close()


def reception_checks_in(browser: Browser, site: Site, card: Path, shown: Path,
                        wristband: Path) -> None:
    device = phone(browser, site, "reception")
    page, context = device.page, device.context
    expect(page.locator("[data-vehicle=bus1]")).to_contain_text("2 to check in")
    page.fill("#f-search", "ليلى")  # Layla, typed in Arabic: on which vehicle?
    expect(page.locator(".results [data-person]").first).to_contain_text("Layla Khalil")
    expect(page.locator(".results [data-person]").first).to_contain_text("Bus 1")
    shot(page, "reception-home-en", ".results")
    arabic(page, "reception-home", "/home")

    # A record the server refuses stays on the phone, with the reason, until fixed
    # through the screen it came from.
    device.record("VehicleArrived", {"vehicle_id": "bus2", "location_id": "Atareb reception"})
    device.send_now()
    expect(page.locator(".rejected .reason")).to_contain_text("payload.location_id")
    shot(page, "reception-rejected-en")
    page.click(".rejected button")
    expect(page.locator(".fix-note")).to_contain_text("The server refused this record")
    page.click("[data-arrival=bus2]")
    expect(page.locator("main .screen-head h1")).to_contain_text("Bus 2")
    all_sent(device)
    page.goto("/field#/home")
    expect(page.locator(".rejected")).to_have_count(0)

    context.set_offline(True)
    page.click("[data-vehicle=bus1]")
    page.click("[data-arrival=bus1]")
    expect(page.locator(".arrived")).to_contain_text("Arrived")
    # Another QR code (a website's) is said not to be one of ours.
    foreign = shown.with_name("foreign.png")
    segno.make("https://example.org/", error="m").save(foreign, scale=6)
    page.set_input_files(".scanner .scan-file", str(foreign))
    expect(page.locator(".scanner .scan-error")).to_have_text("This is not a Corridor code")
    # The QR code the registrar's phone showed reads as that household's token.
    page.set_input_files(".scanner .scan-file", str(shown))
    expect(page.locator(".found [data-person]")).to_contain_text("فاطمة")
    page.click(".missing summary")
    expect(page.locator(".missing [data-person]")).to_have_count(2)
    shot(page, "reception-missing-en", ".missing")
    page.fill("#f-search", "Fatima")  # فاطمة, typed in Latin letters
    expect(page.locator(".results [data-person]")).to_have_count(1)
    expect(page.locator(".results [data-person]")).to_contain_text("فاطمة")
    page.click(".results [data-checkin]")
    expect(page.locator(".results .badge")).to_have_text("On this phone")
    page.set_input_files(".scanner .scan-file", str(card))
    expect(page.locator(".found [data-person]")).to_contain_text("Layla")
    assert page.locator(".scanner").get_attribute("data-engine") == "zxing"
    shot(page, "reception-checkin-en")
    page.click(".found [data-checkin]")
    expect(page.locator(".figures .figure").first).to_contain_text("0")
    # Layla's wristband names her alone, now checked in.
    page.set_input_files(".scanner .scan-file", str(wristband))
    expect(page.locator(".found [data-person]")).to_have_count(1)
    expect(page.locator(".found [data-person] .badge")).to_have_text("On this phone")
    arabic(page, "reception-checkin", "/reception/checkin?vehicle=bus1")

    context.set_offline(False)
    all_sent(device)
    context.close()


def household_of(site: Site, person_id: str) -> str:
    person = ok(site.api("coordinator").get(f"/api/persons/{person_id}"))
    return str(person["household_id"])


def y4m(text: str, path: Path) -> Path:
    """A video of one still frame showing `text` as a QR code, as Chromium's fake camera
    plays it (YUV4MPEG2, 4:2:0: the grey plane, then neutral colour planes)."""
    rows = [bytes(16 if dark else 235 for dark in row)
            for row in segno.make(text, error="m", micro=False).matrix_iter(scale=8, border=6)]
    side = len(rows) + len(rows) % 2
    grey = b"".join(row.ljust(side, b"\xeb") for row in rows).ljust(side * side, b"\xeb")
    colour = b"\x80" * (side // 2) ** 2
    path.write_bytes(f"YUV4MPEG2 W{side} H{side} F10:1 Ip A1:1 C420jpeg\n".encode()
                     + b"FRAME\n" + grey + colour + colour)
    return path


def test_a_vehicle_card_is_read_by_the_camera(browser: Browser, site: Site,
                                              tmp_path: Path) -> None:
    """The back camera, frame by frame through zxing-wasm (Chromium's fake camera plays
    a vehicle card's QR code); the monitor lands on that vehicle's count."""
    open_operation(site, illustrative=True)
    register(site, "F-7", "Khalil", ["Layla", "Omar"])
    ok(site.api("registrar").post("/api/vehicles/bus2/boarding", json={"token": "F-7"}))
    ok(site.api("coordinator").post("/api/convoys/c1/departure"))
    video = y4m(payload(Kind.VEHICLE, "bus2"), tmp_path / "card.y4m")
    camera = browser.browser_type.launch(
        executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, "--use-fake-ui-for-media-stream",
                                        "--use-fake-device-for-media-stream",
                                        f"--use-file-for-fake-video-capture={video}"])
    try:
        device = phone(camera, site, "checkpoint_monitor")
        device.context.grant_permissions(["camera"])
        device.page.click(".scanner .scan-camera")
        expect(device.page.locator("main .screen-head h1")).to_contain_text("Bus 2")
        assert device.page.evaluate("'BarcodeDetector' in window") is False  # so zxing read it
        expect(device.page.locator(".figures .figure").first).to_contain_text("2")
    finally:
        camera.close()


def test_a_screen_outlives_its_vehicle_leaving_the_scope(browser: Browser, site: Site) -> None:
    """Once everyone on an arrived vehicle is checked in and synced, the pull drops it
    from reception's scope, and the convoy's arrival drops it from the checkpoint's: the
    screen still open on it goes on working from what the phone last saw."""
    open_operation(site, illustrative=True)
    register(site, "F-7", "Khalil", ["Layla"])
    ok(site.api("registrar").post("/api/vehicles/bus1/boarding", json={"token": "F-7"}))
    ok(site.api("coordinator").post("/api/convoys/c1/departure"))
    failures: list[str] = []
    monitor = phone(browser, site, "checkpoint_monitor")
    monitor.page.on("pageerror", lambda error: failures.append(str(error)))
    monitor.page.goto("/field#/monitor/count?vehicle=bus1")
    expect(monitor.page.locator(".figures .figure").first).to_contain_text("1")

    device = phone(browser, site, "reception")
    page = device.page
    page.on("console", lambda m: failures.append(m.text) if "TypeError" in m.text else None)
    page.goto("/field#/reception/checkin?vehicle=bus1")
    page.click("[data-arrival=bus1]")
    ok(site.api("reception").post("/api/vehicles/bus2/arrival", json={"location_id": "rc"}))
    page.fill("#f-search", "Layla")
    page.click(".results [data-checkin]")
    all_sent(device)
    assert page.evaluate(f"async () => {{ {CTX} return ctx.data.vehicle('bus1'); }}") is None
    # Layla, checked in and confirmed, has left the phone with the vehicle; the search
    # still answers, and the figures still count her.
    page.fill("#f-search", "")
    page.fill("#f-search", "Khalil")
    expect(page.locator(".results .empty")).to_have_text("Nobody on this list has that name")
    expect(page.locator(".figures .figure")).to_contain_text(["0", "1"])
    assert failures == []

    monitor.send_now()
    assert monitor.page.evaluate(
        f"async () => {{ {CTX} return ctx.data.vehicle('bus1'); }}") is None
    monitor.page.fill("#f-headcount", "1")
    expect(monitor.page.locator(".difference")).to_have_text("The count matches the manifest")
    assert failures == []


def test_a_double_tap_on_check_in_all_checks_each_person_in_once(browser: Browser,
                                                                  site: Site) -> None:
    open_operation(site, illustrative=True)
    register(site, "F-7", "Khalil", ["Layla", "Omar", "Huda"])
    ok(site.api("registrar").post("/api/vehicles/bus1/boarding", json={"token": "F-7"}))
    ok(site.api("coordinator").post("/api/convoys/c1/departure"))
    device = phone(browser, site, "reception")
    page = device.page
    page.goto("/field#/reception/checkin?vehicle=bus1")
    page.click("[data-arrival=bus1]")
    page.fill(".scanner .code-input", with_check("F-7"))
    page.click(".scanner .scan-use")
    page.locator(".found > button").dblclick()
    expect(page.locator(".figures .figure").first).to_contain_text("0")
    all_sent(device)
    checked_in = [e["payload"]["person_id"] for e in device.events()
                  if e["type"] == "PersonCheckedIn"]
    assert counts(site, "PersonCheckedIn") == [3], device.states()
    assert len(checked_in) == len(set(checked_in)) == 3


def test_a_double_tap_on_make_a_new_token_issues_one(browser: Browser, site: Site) -> None:
    open_operation(site, illustrative=True)
    household_id = household_of(site, register(site, "F-7", "Khalil", ["Layla"])["Layla"])
    device = phone(browser, site, "registrar")
    page = device.page
    page.goto(f"/field#/registrar/token?household={household_id}")
    page.get_by_text("Make a new token").dblclick()
    expect(page.locator(".saved")).to_contain_text("Token saved on this phone")
    all_sent(device)
    issued = [e for e in device.events() if e["type"] == "TokenIssued"]
    assert len(issued) == 1
    assert page.locator(".token-card").get_attribute("data-token") == issued[0]["payload"]["token"]
