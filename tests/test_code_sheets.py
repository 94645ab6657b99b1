"""Printable code cards (docs/codes.md): fresh household tokens, a household's
wristbands, a convoy's vehicle cards. A QR code and the code with its check character
on each card, never a name; role-gated; wristbands audited as a read of the people.
On SQLite and PostgreSQL, and one print view in Chromium."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from conftest import PASSWORD
from operation_setup import register, set_up
from playwright.sync_api import Page, expect
from sqlalchemy import Engine, select
from test_scope import _signed_in
from web_server import journey, sign_in

from corridor.domain import codes
from corridor.services.access import add_user
from corridor.storage.schema import audit_log, audit_subjects, persons
from corridor.web.codes import qr_svg

browser_test = pytest.mark.browser


def cards(page: str) -> list[tuple[str, str]]:
    """(printed code, QR svg) of each card on a sheet."""
    return [(html.unescape(code), svg) for svg, code in re.findall(
        r'<li class="card" data-code="[^"]*">\s*(<svg.*?</svg>)\s*<p class="code"[^>]*>([^<]+)</p>',
        page, re.S)]


def test_token_cards_are_fresh_checked_and_nameless(api: Any, app: Any, engine: Engine) -> None:
    set_up(api.as_("coordinator"))
    register(api.as_("registrar"), 2, token="F-1")
    add_user(engine, "registrar-web", "registrar", PASSWORD, "gp")
    add_user(engine, "monitor-web", "checkpoint_monitor", PASSWORD, "cp1")
    registrar = _signed_in(app, "registrar-web")
    page = registrar.get("/codes/tokens", params={"count": 14})
    assert page.status_code == 200
    found = cards(page.text)
    assert len(found) == 14 and page.text.count('class="sheet"') == 2  # 12 to a sheet
    tokens = [codes.parse(code) for code, _ in found]
    assert len(set(tokens)) == 14 and "F-1" not in tokens
    for (code, svg), token in zip(found, tokens, strict=True):
        assert codes.with_check(token) == code
        assert svg == qr_svg(f"CORRIDOR:H:{token}")
    assert "Person" not in page.text and "Haddad" not in page.text
    again = {codes.parse(code) for code, _ in cards(registrar.get("/codes/tokens").text)}
    assert len(again) == 12 and not again & set(tokens)  # drawn anew each time

    for count in ("0", "241", "many"):
        refused = registrar.get("/codes/tokens", params={"count": count})
        assert refused.status_code == 422 and "Choose from 1 to 240 cards." in refused.text
    assert _signed_in(app, "monitor-web").get("/codes/tokens").status_code == 403
    assert 'href="/codes/tokens"' in registrar.get("/register").text


def test_wristbands_name_each_person_by_id_under_the_household_token(
        api: Any, app: Any, engine: Engine) -> None:
    set_up(api.as_("coordinator"))
    people = register(api.as_("registrar"), 3, token="F-1")
    untokened = register(api.as_("registrar"), 1)
    add_user(engine, "registrar-web", "registrar", PASSWORD, "gp")
    registrar = _signed_in(app, "registrar-web")
    with engine.connect() as conn:
        household_id, other = (conn.execute(select(persons.c.household_id).where(
            persons.c.person_id == p)).scalar_one() for p in (people[0], untokened[0]))

    shown = registrar.get(f"/register?registered={household_id}").text
    assert f'href="/households/{household_id}/wristbands"' in shown
    page = registrar.get(f"/households/{household_id}/wristbands")
    assert page.status_code == 200
    found = cards(page.text)
    assert [code for code, _ in found] == [codes.with_check("F-1")] * 3
    assert [svg for _, svg in found] == [qr_svg(f"CORRIDOR:P:{p}") for p in people]
    assert "Person" not in page.text and "Haddad" not in page.text
    with engine.connect() as conn:
        row = conn.execute(select(audit_log.c.id, audit_log.c.subject).where(
            audit_log.c.username == "registrar-web",
            audit_log.c.action == "web: print wristbands")).one()
        subjects = set(conn.execute(select(audit_subjects.c.person_id).where(
            audit_subjects.c.audit_id == row.id)).scalars())
    assert row.subject == household_id and subjects == set(people)

    no_token = registrar.get(f"/households/{other}/wristbands")
    assert no_token.status_code == 409 and "has no token yet" in no_token.text
    assert registrar.get("/households/nobody/wristbands").status_code == 404


def test_vehicle_cards_are_the_coordinators(api: Any, app: Any, engine: Engine) -> None:
    set_up(api.as_("coordinator"), vehicles=2)
    add_user(engine, "coordinator-web", "coordinator", PASSWORD, None)
    add_user(engine, "registrar-web", "registrar", PASSWORD, "gp")
    coordinator = _signed_in(app, "coordinator-web")
    assert 'href="/convoys/c1/vehicle-cards"' in coordinator.get("/convoys").text
    page = coordinator.get("/convoys/c1/vehicle-cards")
    assert page.status_code == 200
    assert cards(page.text) == [(codes.with_check(v), qr_svg(f"CORRIDOR:V:{v}"))
                                for v in ("bus1", "bus2")]
    assert coordinator.get("/convoys/c9/vehicle-cards").status_code == 404
    registrar = _signed_in(app, "registrar-web")
    assert registrar.get("/convoys/c1/vehicle-cards").status_code == 403
    assert "vehicle-cards" not in registrar.get("/convoys").text


@browser_test
def test_a_sheet_prints_as_a4_pages_of_cards(page: Page, site: Any) -> None:
    journey(site)
    sign_in(page, "registrar")
    page.goto("/codes/tokens?count=14")
    expect(page.locator(".card")).to_have_count(14)
    page.emulate_media(media="print")
    expect(page.locator("header.top")).to_be_hidden()
    expect(page.locator("form[action='/codes/tokens']")).to_be_hidden()
    page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    page.screenshot(path="/tmp/corridor-code-sheet-print.png")
    pdf = page.pdf(format="A4", print_background=False)
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 2  # twelve cards, then two
    size = page.locator(".card svg.qr").first.bounding_box()
    assert size is not None and abs(size["width"] - 40 / 25.4 * 96) < 2  # 40 mm
