"""The demo opens mid-operation and moves forward: withheld events, told as they happened."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from corridor import demo
from corridor.cli import DEMO_USERS, app
from corridor.demo import midway
from corridor.domain.vocabulary import Role
from corridor.services import rehearsal
from corridor.services.ledger import Ledger, Principal, Refused, verify
from corridor.services.scoped_pull import pull
from corridor.storage import ledger_store
from corridor.storage.database import initialise
from corridor.storage.schema import convoys, events, persons

PEOPLE = 1500
COORDINATOR = Principal("coordinator", Role.COORDINATOR, "web")


@pytest.fixture(scope="module")
def stream() -> list[dict[str, Any]]:
    return list(demo.generate(seed=2016, people=PEOPLE))


@pytest.fixture(scope="module")
def opens(stream: list[dict[str, Any]]) -> datetime:
    return demo.opening(stream)


def statuses(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {status: int(n) for status, n in conn.execute(
            select(persons.c.status, func.count()).group_by(persons.c.status))}


def convoy_states(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.execute(select(convoys.c.convoy_id, convoys.c.state)).all())


def head(engine: Engine) -> tuple[int, str]:
    with engine.connect() as conn:
        return ledger_store.head(conn)


def test_the_demo_opens_on_20_december_with_convoys_on_the_road(
        stream: list[dict[str, Any]], opens: datetime) -> None:
    local = opens.astimezone(demo.SYRIA)
    assert (local.day, local.month) == (20, 12) and local.hour >= 12
    assert opens == demo.opening(demo.generate(seed=2016, people=PEOPLE))  # same seed
    assert DEMO_USERS["registrar"][1] == midway.GATHERING_POINT
    assert DEMO_USERS["monitor"][1] == midway.CHECKPOINT
    assert DEMO_USERS["reception"][1] == midway.RECEPTION


def test_loaded_up_to_the_opening_the_rest_is_withheld(
        engine: Engine, stream: list[dict[str, Any]], opens: datetime) -> None:
    ledger = Ledger(engine)
    accepted = demo.load(ledger, people=PEOPLE, until=opens)
    told = [e for e in stream if datetime.fromisoformat(e["recorded_at"]) <= opens]
    assert accepted == len(told) < len(stream)
    standing = rehearsal.standing(engine)
    assert standing is not None and standing.stands_at == opens
    assert standing.withheld == len(stream) - len(told)
    assert standing.next_at is not None and standing.next_at > opens
    # Convoys on the road, people on vehicles not yet arrived.
    states = convoy_states(engine)
    assert "departed" in states.values() and statuses(engine)["on_vehicle"] > 0
    # Received when it happened: the server's receive time is each event's device time.
    with engine.connect() as conn:
        received = conn.execute(select(func.max(events.c.received_at))).scalar_one()
    assert datetime.fromisoformat(received) <= opens
    assert verify(engine).broken is None

    # The field accounts find work at their posts.
    work = {}
    for name in ("registrar", "monitor", "reception"):
        role, post = DEMO_USERS[name]
        work[name] = pull(engine, ledger, Principal(name, role, f"{name}-phone", post), None)
    assert work["registrar"]["queue"]  # households waiting to board at al-Amiriyah
    on_the_road = {v["vehicle"]["vehicle_id"] for v in work["monitor"]["vehicles"]
                   if v["convoy"]["state"] == "departed" and v["person_ids"]}
    assert on_the_road
    heading = {v["vehicle"]["vehicle_id"] for v in work["reception"]["vehicles"]
               if v["convoy"]["state"] == "departed"}
    assert heading  # vehicles on the road to Atareb


def test_moving_forward_tells_the_withheld_events_and_the_end_is_the_whole_demo(
        engine: Engine, empty_engine: Engine, opens: datetime) -> None:
    ledger = Ledger(engine)
    demo.load(ledger, people=PEOPLE, until=opens)
    before, on_the_road = statuses(engine), {
        c for c, s in convoy_states(engine).items() if s == "departed"}

    moved = rehearsal.advance(ledger, COORDINATOR, opens + timedelta(hours=6))
    assert moved.pushed > 0 and moved.stands_at == opens + timedelta(hours=6)
    after = statuses(engine)
    assert after != before and after["arrived"] > before["arrived"]
    assert any(convoy_states(engine)[c] == "arrived" for c in on_the_road)
    standing = rehearsal.standing(engine)
    assert standing is not None and standing.withheld == moved.withheld > 0

    with pytest.raises(Refused) as earlier:
        rehearsal.advance(ledger, COORDINATOR, opens)
    assert earlier.value.field == "to" and earlier.value.status == 422

    end = rehearsal.advance(ledger, COORDINATOR, None)
    assert end.withheld == 0 and verify(engine).broken is None

    # The whole demo loaded at once (on a database of the same kind) is the same record.
    initialise(empty_engine)
    demo.load(Ledger(empty_engine), people=PEOPLE)
    assert head(engine) == head(empty_engine)
    assert statuses(engine) == statuses(empty_engine)
    assert convoy_states(engine) == convoy_states(empty_engine)


def test_an_interrupted_advance_is_run_again_without_harm(engine: Engine, opens: datetime,
                                                          stream: list[dict[str, Any]]) -> None:
    ledger = Ledger(engine)
    demo.load(ledger, people=PEOPLE, until=opens)
    # As if it stopped after pushing the next hour's events, before removing them.
    upto = opens + timedelta(hours=1)
    next_hour = [e for e in stream
                 if opens < datetime.fromisoformat(e["recorded_at"]) <= upto]
    assert next_hour
    ledger.push(next_hour, rehearsal.PRINCIPAL, as_recorded=True)
    seq = head(engine)
    moved = rehearsal.advance(ledger, COORDINATOR, upto)
    assert moved.pushed == 0 and head(engine) == seq  # duplicates: nothing new
    assert rehearsal.standing(engine).withheld == len(stream) - (  # type: ignore[union-attr]
        sum(datetime.fromisoformat(e["recorded_at"]) <= upto for e in stream))


def test_a_real_operation_and_other_roles_are_refused(engine: Engine) -> None:
    ledger = Ledger(engine)
    ledger.push([{"id": "00000000-0000-4000-8000-000000000001", "type": "OperationOpened",
                  "payload": {"name": "Real", "description": "", "illustrative": False},
                  "device_id": "hq", "author": "hq",
                  "recorded_at": datetime.now(UTC).isoformat()}], COORDINATOR)
    with pytest.raises(Refused, match="real operation") as real:
        rehearsal.advance(ledger, COORDINATOR, None)
    assert real.value.status == 409
    with pytest.raises(Refused) as registrar:
        rehearsal.advance(ledger, Principal("r", Role.REGISTRAR, "web"), None)
    assert registrar.value.status == 403


def test_the_command_line_opens_at_a_moment_and_moves_forward(database_url: str,
                                                             engine: Engine) -> None:
    runner = CliRunner()
    opened = runner.invoke(app, ["demo", "--people", "1000", "--at", "2016-12-16T12:00",
                                 "--no-serve", "--database", database_url])
    assert opened.exit_code == 0, opened.output
    assert "The demo stands at 2016-12-16 12:00 UTC" in opened.output
    wrong = runner.invoke(app, ["demo", "advance", "--to", "tomorrow", "--database",
                                database_url])
    assert wrong.exit_code == 1 and "neither a time" in wrong.output
    moved = runner.invoke(app, ["demo", "advance", "--to", "end", "--database", database_url])
    assert moved.exit_code == 0, moved.output
    assert "0 events still to come" in moved.output
    assert rehearsal.standing(engine).withheld == 0  # type: ignore[union-attr]


def test_a_demo_opened_before_its_story_begins_moves_forward_all_the_same(
        engine: Engine) -> None:
    ledger = Ledger(engine)
    assert demo.load(ledger, people=1000, until=datetime(2016, 12, 1, tzinfo=UTC)) == 0
    moved = rehearsal.advance(ledger, COORDINATOR, datetime(2016, 12, 15, 12, tzinfo=UTC))
    assert moved.pushed > 0
    assert ledger.read(lambda state: state.operation["operation"].illustrative)
