"""A registration sent again after its answer was lost makes no second household: the
web form's hidden household id, and an API client's retry with the same id. Same id,
other details: refused with a clear message. On SQLite and PostgreSQL."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from operation_setup import ok, set_up
from sqlalchemy import Engine, func, select
from test_scope import _signed_in

from corridor.domain import codes
from corridor.services.access import add_user
from corridor.storage.schema import events, households, persons

PASSWORD = "correct horse battery"


def counts(engine: Engine) -> tuple[int, int, int]:
    with engine.connect() as conn:
        return tuple(int(conn.execute(select(func.count()).select_from(t)).scalar_one())
                     for t in (events, households, persons))  # type: ignore[return-value]


def drawn(client: TestClient) -> dict[str, str]:
    """The form as drawn: its csrf and the household id it was given."""
    page = client.get("/register").text
    found = {name: re.search(rf'name="{name}" value="([^"]+)"', page) for name in
             ("csrf", "household_id")}
    assert all(found.values()), page
    return {name: match.group(1) for name, match in found.items() if match}


def test_a_form_sent_twice_registers_one_household(api: Any, app: Any, engine: Engine) -> None:
    set_up(api.as_("coordinator"))
    add_user(engine, "registrar-web", "registrar", PASSWORD, "gp")
    client = _signed_in(app, "registrar-web")
    form = drawn(client)
    assert drawn(client)["household_id"] != form["household_id"]  # a new one each time
    sent = {**form, "action": "register", "rows": "2", "gathering_point_id": "gp",
            "token": "F-9", "m0.given_name": "Amal", "m0.sex": "female", "m0.age": "30",
            "m0.consent": "yes", "m0.needs": "pregnant", "m1.given_name": "Omar",
            "m1.birth_year": "2010"}
    before = counts(engine)
    first = client.post("/register", data=sent, follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"] == f"/register?registered={form['household_id']}"
    after = counts(engine)
    assert after == (before[0] + 1, before[1] + 1, before[2] + 2)

    # The answer was lost; the registrar sends the same form again.
    again = client.post("/register", data=sent, follow_redirects=False)
    assert again.status_code == 303
    assert again.headers["location"] == f"/register?registered={form['household_id']}&again=1"
    shown = client.get(again.headers["location"]).text
    assert f'data-registered="{form["household_id"]}"' in shown and "data-again" in shown
    assert "Amal" in shown and "F-9" in shown
    assert counts(engine) == after

    # The same form with other details: a clear message, nothing recorded.
    changed = client.post("/register", data={**sent, "m1.given_name": "Sami"})
    assert changed.status_code == 409
    assert "This form already registered a household, with other details" in changed.text
    assert f'href="/register?registered={form["household_id"]}"' in changed.text
    assert counts(engine) == after
    with engine.connect() as conn:
        assert conn.execute(select(households.c.token)).scalars().all() == ["F-9"]


def test_an_api_retry_with_the_same_household_id_gives_the_same_household(
        api: Any, engine: Engine) -> None:
    set_up(api.as_("coordinator"))
    registrar = api.as_("registrar")
    body = {"household_id": "h-retry", "gathering_point_id": "gp", "token": "F-5",
            "members": [{"given_name": "Layla", "sex": "female", "birth_year": 1988}]}
    first = ok(registrar.post("/api/households", json=body), 201)
    before = counts(engine)
    retry = ok(registrar.post("/api/households", json=body), 201)
    assert retry["person_ids"] == first["person_ids"] and retry["again"]
    assert retry["recorded"] == [] and counts(engine) == before
    other = registrar.post("/api/households", json={**body, "token": "F-6"})
    assert other.status_code == 409 and other.json()["field"] == "household_id"
    named = registrar.post("/api/households", json={
        **body, "members": [{**body["members"][0], "person_id": "someone-else"}]})
    assert named.status_code == 409 and counts(engine) == before


def test_a_token_card_typed_into_the_form_is_checked(api: Any, app: Any, engine: Engine) -> None:
    """The code printed on a token card, check character and all: the token without it;
    a wrong character in it is said on the field, and nothing is recorded."""
    set_up(api.as_("coordinator"))
    add_user(engine, "registrar-web", "registrar", PASSWORD, "gp")
    client = _signed_in(app, "registrar-web")
    card = codes.with_check(codes.fresh_token(set()))
    wrong = card[:-1] + ("3" if card[-1] != "3" else "4")
    sent = {**drawn(client), "action": "register", "rows": "1", "gathering_point_id": "gp",
            "m0.given_name": "Amal"}
    before = counts(engine)
    refused = client.post("/register", data={**sent, "token": wrong})
    assert refused.status_code == 422 and 'data-error-for="token"' in refused.text
    assert "does not check" in refused.text and counts(engine) == before
    assert client.post("/register", data={**sent, "token": card.lower()},
                       follow_redirects=False).status_code == 303
    with engine.connect() as conn:
        assert conn.execute(select(households.c.token)).scalars().all() == [card[:-2]]
