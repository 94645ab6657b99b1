"""The dashboard to scan: its figures now and as of any moment, what explains the total,
the chart of movements drawn on the server, partners' labelled figures, and moving the
demo forward from it."""

from __future__ import annotations

import base64
import re
from datetime import date, timedelta
from itertools import pairwise
from typing import Any

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect
from sqlalchemy import Engine, func, select
from web_server import Site, sign_in

from corridor import demo
from corridor.domain.vocabulary import Role
from corridor.server import create_app
from corridor.services import rehearsal
from corridor.services.access import add_user, issue_token
from corridor.services.ledger import Ledger, Principal
from corridor.services.timeline import state_at
from corridor.services.tracing import DuplicateFinder
from corridor.services.views import dashboard
from corridor.storage import ledger_store
from corridor.storage.schema import persons

PEOPLE = 1000
COORDINATOR = Principal("coordinator", Role.COORDINATOR, "web")


def load_opening(engine: Engine) -> None:
    demo.load(Ledger(engine), people=PEOPLE, until=demo.opening(demo.generate(people=PEOPLE)))


def client(engine: Engine, role: str) -> TestClient:
    app = create_app(engine, secret="s")
    add_user(engine, role, role, "correct horse battery")
    answer = TestClient(app)
    answer.headers["Authorization"] = "Bearer " + issue_token(engine, role, "phone")
    return answer


def test_the_figures_as_of_a_moment_are_the_state_s_then(engine: Engine) -> None:
    load_opening(engine)
    api = client(engine, "coordinator")
    then = api.get("/api/operation").json()["counts"]
    with engine.connect() as conn:
        seq, _ = ledger_store.head(conn)
        by_status = dict(conn.execute(select(persons.c.status, func.count()).where(
            persons.c.merged_into.is_(None)).group_by(persons.c.status)).all())
    assert {s: n for s, n in then["by_status"].items() if n} == by_status
    assert then["convoys_on_the_road"] >= 1 and then["vehicles_on_the_road"] >= 1
    assert then["registered"] == sum(by_status.values())
    assert then["awaiting_review"] >= 1  # namesakes and the first family registered twice

    stands_at = rehearsal.standing(engine).stands_at  # type: ignore[union-attr]
    rehearsal.advance(Ledger(engine), COORDINATOR, stands_at + timedelta(hours=8))
    now = api.get("/api/operation").json()["counts"]
    assert now["by_status"]["arrived"] > then["by_status"]["arrived"]
    # As of the sequence number, or the time, the demo stood at: the figures then.
    assert api.get(f"/api/operation?as_of={seq}").json()["counts"] == then
    at_time = api.get("/api/operation", params={"as_of": stands_at.isoformat()})
    assert at_time.json()["counts"] == then
    # The same as the view computed afresh from the state folded to then.
    state = state_at(Ledger(engine), seq)
    fresh = dashboard.figures(state, [(a, b) for _, a, b in DuplicateFinder().pairs(state)])
    assert fresh == {**then, "movements": {day: dict(row) for day, row in
                                           then["movements"].items()}}
    wrong = api.get("/api/operation?as_of=yesterday")
    assert wrong.status_code == 422 and wrong.json()["field"] == "as_of"


def test_movements_per_day_and_checkpoint_add_up(engine: Engine) -> None:
    load_opening(engine)
    state = Ledger(engine).read(lambda s: dashboard.figures(s, []))
    days = state["movements"]
    assert list(days) == sorted(days) and days
    # Every day from the first movement to the last, the stalled 17 Dec included.
    dates = [date.fromisoformat(day) for day in days]
    assert all(b - a == timedelta(days=1) for a, b in pairwise(dates))
    assert not any(days["2016-12-17"].values())
    assert list(next(iter(days.values()))) == ["salah-al-din", "ramouseh", "rashideen",
                                               dashboard.ARRIVALS]
    arrived = sum(row[dashboard.ARRIVALS] for row in days.values())
    assert arrived == state["by_status"]["arrived"]


def test_partners_get_rounded_and_suppressed_figures(engine: Engine) -> None:
    load_opening(engine)
    staff = client(engine, "coordinator").get("/api/operation").json()["counts"]
    partner = client(engine, "partner").get("/api/operation").json()["counts"]
    for name, n in staff["by_status"].items():
        seen = partner["by_status"][name]
        assert seen == ("<5" if 0 < n < 5 else 5 * round(n / 5))
    assert partner["registered"] % 5 == 0
    # Convoys and vehicles on the road are not people: the board shows them to everyone.
    assert partner["convoys_on_the_road"] == staff["convoys_on_the_road"]
    cells = [n for row in partner["movements"].values() for n in row.values()]
    assert all(n == "<5" or n % 5 == 0 for n in cells)


def chart_svg(html: str) -> str:
    found = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', html)
    assert found, "no chart"
    return base64.b64decode(found.group(1)).decode()


@pytest.mark.browser
def test_the_dashboard_is_scanned_in_order_and_its_chart_is_drawn_on_the_server(
        page: Page, site: Site) -> None:
    load_opening(site.engine)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"{m.text} {m.location.get('url')}")
            if m.type == "error" else None)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    sign_in(page, "coordinator")
    labels = page.locator(".tally [data-status]")
    assert [labels.nth(i).get_attribute("data-status") for i in range(labels.count())] == [
        "unaccounted", "on_vehicle", "arrived", "waiting", "removed", "stayed"]
    expect(page.locator("[data-on-the-road]")).to_contain_text("on the road")
    expect(page.locator("[data-explains]")).to_contain_text(
        "may be one person registered twice")
    chart = page.locator("img[data-chart]")
    expect(chart).to_be_visible()
    assert page.evaluate("document.querySelector('img[data-chart]').naturalWidth") > 0
    svg = re.sub(r"<!--.*?-->", "", chart_svg(page.content()))  # pygal's credits
    assert svg.startswith("<svg") and "Salah al-Din checkpoint" in svg
    # Nothing from elsewhere: no reference but the SVG namespace, no script file.
    assert set(re.findall(r"https?://[^\s\"'<>)]+", svg)) <= {"http://www.w3.org/2000/svg",
                                                              "http://www.w3.org/1999/xlink"}
    assert not re.search(r"<script[^>]*\bhref=", svg)
    table = page.locator("[data-movements]")
    expect(table.locator("thead th")).to_have_count(5)
    assert all(url.startswith(site.url) or url.startswith("data:") for url in requests)
    assert not [e for e in errors if "favicon" not in e], errors

    page.goto("/?lang=ar")
    expect(page.locator("[data-movements] caption")).to_contain_text("نقطة تفتيش")
    assert "سُجّل وصولهم في الاستقبال" in chart_svg(page.content())
    assert not [e for e in errors if "favicon" not in e], errors


@pytest.mark.browser
def test_the_coordinator_moves_the_demo_forward_from_the_dashboard(
        page: Page, site: Site) -> None:
    load_opening(site.engine)
    standing = rehearsal.standing(site.engine)
    assert standing is not None
    sign_in(page, "coordinator")
    clock = page.locator("[data-demo]")
    expect(clock.locator("[data-stands-at]")).to_have_text(
        standing.stands_at.strftime("%Y-%m-%d %H:%M UTC"))
    arrived = page.locator("[data-status=arrived] .n").inner_text()
    page.click("button[name=to][value=six_hours]")
    later = standing.stands_at + timedelta(hours=6)
    expect(clock.locator("[data-stands-at]")).to_have_text(later.strftime("%Y-%m-%d %H:%M UTC"))
    assert page.locator("[data-status=arrived] .n").inner_text() != arrived

    page.click("button[name=to][value=end]")
    expect(clock).to_contain_text("nothing is still to come")
    expect(page.locator("button[name=to]")).to_have_count(0)
    assert rehearsal.standing(site.engine).withheld == 0  # type: ignore[union-attr]

    # As of an earlier moment the page offers no action, nor to others now.
    page.goto("/?as_of=10")
    expect(page.locator("[data-demo]")).to_have_count(0)
    page.click("form[action='/logout'] button")
    sign_in(page, "partner")
    expect(page.locator("[data-demo]")).to_have_count(0)
    expect(page.locator("[data-partner-note]")).to_contain_text("rounded to the nearest 5")


def test_the_advance_form_is_refused_to_other_roles(site: Site) -> None:
    load_opening(site.engine)
    browser = TestClient(site.app)
    token = re.search(r'name="csrf" value="([^"]+)"', browser.get("/login").text)
    assert token
    browser.post("/login", data={"username": "registrar", "password": "correct horse battery",
                                 "csrf": token.group(1)})
    csrf = re.search(r'name="csrf" value="([^"]+)"', browser.get("/").text)
    assert csrf
    answer: Any = browser.post("/demo/advance", data={"to": "hour", "csrf": csrf.group(1)})
    assert answer.status_code == 403
    assert rehearsal.standing(site.engine).withheld > 0  # type: ignore[union-attr]
