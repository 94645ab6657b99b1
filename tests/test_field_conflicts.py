"""Conflicts between phones, end to end in Chromium: two registrars' phones board one
person onto two vehicles offline; after syncing, each phone shows its own boarding as
a conflict with the reason (from the scoped pull's `conflicts`), and the
coordinator's conflicts page lists both (docs/accounting.md)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from field_app import Phone, Server, served_operation
from operation_setup import ok
from playwright.sync_api import Browser, expect
from sqlalchemy import Engine
from web_server import PASSWORD, Site

from corridor.services.access import add_user

SHOTS = Path(os.environ.get("CORRIDOR_SHOTS", "/work/shots")) / "server"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[Server, Engine, Site]]:
    with served_operation(tmp_path) as served:
        add_user(served[1], "registrar-2", "registrar", PASSWORD, "gp")
        yield served


def phone(browser: Browser, url: str, username: str) -> Phone:
    context = browser.new_context(base_url=url, viewport={"width": 360, "height": 640})
    context.set_default_timeout(15_000)
    signed = Phone(context, context.new_page())
    signed.open()
    signed.sign_in(username, PASSWORD)
    return signed


@pytest.mark.browser
def test_two_phones_boarding_one_person_onto_two_vehicles_each_see_the_conflict(
        browser: Browser, server: tuple[Server, Engine, Site]) -> None:
    running, _, site = server
    person = ok(site.api("registrar").post("/api/households", json={
        "gathering_point_id": "gp", "token": "F-1", "members": [
            {"given_name": "Mariam", "family_name": "Haddad", "sex": "female",
             "consent": True}]}), 201)["person_ids"][0]
    one, two = (phone(browser, running.url, name) for name in ("registrar", "registrar-2"))
    for p in (one, two):
        p.send_now()  # the household is in both phones' scope
        p.context.set_offline(True)
    first = one.record("PersonBoarded", {"person_id": person, "vehicle_id": "bus1"})
    second = two.record("PersonBoarded", {"person_id": person, "vehicle_id": "bus2"})
    for p in (one, two):
        p.context.set_offline(False)
        assert p.send_now()["error"] is None
    assert one.send_now()["error"] is None  # the conflict came with the second push

    for p, mine, other, vehicle in ((one, first, second, "bus2"), (two, second, first, "bus1")):
        held = {e["id"]: e for e in p.events()}
        assert held[mine]["state"] == "conflict", held[mine]
        assert other in held[mine]["reason"] and vehicle in held[mine]["reason"]
    page = one.page
    page.evaluate("() => { location.hash = '#/outbox'; }")
    item = page.locator(f"[data-id='{first}']")
    expect(item.locator(".badge")).to_have_class("badge badge-conflict")
    expect(item.locator(".reason")).to_contain_text("no disembarkation between")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "outbox-conflict-en.png"))

    coordinator = site.api("coordinator")
    listed = {c["event_id"] for c in ok(coordinator.get("/api/conflicts"))}
    assert {first, second} <= listed
