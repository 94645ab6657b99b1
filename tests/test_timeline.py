"""The record as it stood at any moment: a state folded from snapshots is exactly the
state a fresh fold gives, on SQLite and PostgreSQL, whatever snapshots exist."""

from __future__ import annotations

import operator
import random
import weakref
from typing import Any

import pytest
from sqlalchemy import update
from stories import ROLES, tell

from corridor.domain.state import OperationState
from corridor.domain.vocabulary import Role
from corridor.services import timeline
from corridor.services.ledger import Ledger, Principal, fold_row
from corridor.services.reads import ReadRefused
from corridor.storage import ledger_store, snapshot_store
from corridor.storage.database import epoch_of
from corridor.storage.projection_store import TABLES, rows
from corridor.storage.schema import ledger_meta, snapshots

SECRET = "timeline-test-secret"


def recorded(state: OperationState) -> dict[str, Any]:
    """Everything the fold derived, comparable: every record, its sequence number."""
    return {"seq": state.seq, **{table: sorted(repr(sorted(row.items()))
                                               for row in rows(state, table))
                                 for table in TABLES}}


def fresh(engine: Any, seq: int) -> OperationState:
    state = OperationState()
    with engine.connect() as conn:
        for row in ledger_store.fact_rows(conn, upto=seq):
            fold_row(state, row)
    state.settle()
    return state


def told(engine: Any, seed: int = 7) -> Ledger:
    """A story pushed device by device in batches of three."""
    ledger = Ledger(engine)
    story = tell(random.Random(seed), families=10, second_trip=True)
    rng = random.Random(seed)
    queues = {name: device.stream() for name, device in story.devices.items()}
    while any(queues.values()):
        name = rng.choice([n for n, q in queues.items() if q])
        chunk, queues[name] = queues[name][:3], queues[name][3:]
        ledger.push(chunk, Principal(name, Role(ROLES[name]), f"{name}-phone"))
    return ledger


def head(engine: Any) -> int:
    with engine.connect() as conn:
        return ledger_store.head(conn)[0]


def made(engine: Any) -> list[int]:
    with engine.connect() as conn:
        return sorted(snapshot_store.made(conn, epoch_of(conn), timeline.FOLD))


def make_all(ledger: Ledger) -> None:
    while timeline.make_snapshot(ledger) is not None:
        pass


def test_the_state_at_any_seq_is_a_fresh_fold_to_it(engine) -> None:
    ledger = told(engine)
    timeline.keep_snapshots(ledger, SECRET, every=7)
    make_all(ledger)
    last = head(engine)
    assert made(engine) == list(range(7, last + 1, 7))
    for seq in [0, 1, 6, 7, 8, 20, 21, 22, last - 1, last]:
        assert recorded(timeline.state_at(ledger, seq)) == recorded(fresh(engine, seq))
    # After a restart (a new process: nothing in memory), from the snapshots alone.
    again = Ledger(engine)
    timeline.keep_snapshots(again, SECRET, every=7)
    for seq in [13, 14, 29, last]:
        assert recorded(timeline.state_at(again, seq)) == recorded(fresh(engine, seq))


def test_snapshots_are_made_for_events_pushed_later(engine) -> None:
    ledger = told(engine)
    timeline.keep_snapshots(ledger, SECRET, every=10)
    assert timeline.make_snapshot(ledger) == 10
    more = told(engine, seed=8)  # the same ids again: duplicates, and new ones
    timeline.keep_snapshots(more, SECRET, every=10)
    make_all(more)
    assert made(engine) == list(range(10, head(engine) + 1, 10))
    seq = head(engine) - 3
    assert recorded(timeline.state_at(more, seq)) == recorded(fresh(engine, seq))


def test_a_snapshot_that_does_not_verify_is_dropped_and_never_unpickled(engine) -> None:
    ledger = told(engine)
    timeline.keep_snapshots(ledger, SECRET, every=10)
    make_all(ledger)
    with engine.begin() as conn:  # a forged snapshot at 20: another state, signed wrongly
        conn.execute(update(snapshots).where(snapshots.c.seq == 20).values(
            data=b"\0" * 32 + snapshots_data(engine, 10)[32:]))
    other = Ledger(engine)
    timeline.keep_snapshots(other, SECRET, every=10)
    assert recorded(timeline.state_at(other, 25)) == recorded(fresh(engine, 25))
    assert 20 not in made(engine)
    # Signed under another secret (the server's changed): not loaded either.
    stranger = Ledger(engine)
    timeline.keep_snapshots(stranger, "another secret", every=10)
    assert recorded(timeline.state_at(stranger, 15)) == recorded(fresh(engine, 15))
    assert 10 not in made(engine)


def snapshots_data(engine: Any, seq: int) -> bytes:
    with engine.connect() as conn:
        return bytes(conn.execute(snapshots.select().where(snapshots.c.seq == seq)).one().data)


def test_a_new_epoch_or_a_changed_fold_never_loads_an_old_snapshot(engine, monkeypatch) -> None:
    ledger = told(engine)
    timeline.keep_snapshots(ledger, SECRET, every=10)
    make_all(ledger)
    assert made(engine)
    monkeypatch.setattr(timeline, "FOLD", "0" * 64)  # as if the domain's code had changed
    assert made(engine) == []
    assert timeline.make_snapshot(ledger) == 10
    monkeypatch.undo()
    with engine.begin() as conn:  # as a restore does: the same events, a new epoch
        conn.execute(update(ledger_meta).values(epoch="restored-epoch"))
    assert made(engine) == []
    assert recorded(timeline.state_at(ledger, 30)) == recorded(fresh(engine, 30))


def test_the_last_states_shown_are_kept_and_the_others_released(engine) -> None:
    ledger = told(engine)
    kept = timeline._timeline(ledger).states
    at = timeline.Moment
    seq_of = operator.attrgetter("seq")

    def seqs() -> list[int]:
        return [seq for _, seq in kept]

    first = timeline.read_at(ledger, at(12), weakref.ref)
    assert timeline.read_at(ledger, at(12), weakref.ref)() is first()
    timeline.read_at(ledger, at(13), seq_of)
    timeline.read_at(ledger, at(12), seq_of)
    timeline.read_at(ledger, at(14), seq_of)  # two are kept: 13 is the one shown least lately
    assert seqs() == [12, 14] and first() is not None
    timeline.read_at(ledger, at(15), seq_of)
    assert seqs() == [14, 15]
    assert first() is None  # released at once, not at the collector's next full pass

    def while_reading(state: OperationState) -> int:
        """Others evict the state being read: it stays whole until the read is done."""
        timeline.read_at(ledger, at(20), seq_of)
        timeline.read_at(ledger, at(21), seq_of)
        assert 16 not in seqs()
        return len(state.persons)

    assert timeline.read_at(ledger, at(16), while_reading) == len(fresh(engine, 16).persons)
    assert timeline._timeline(ledger).evicted == {} and seqs() == [20, 21]


def test_as_of_reads_a_sequence_or_a_time_and_refuses_anything_else(engine) -> None:
    ledger = told(engine)
    last = head(engine)
    assert timeline.moment(ledger, None).now and timeline.moment(ledger, "").now
    assert timeline.moment(ledger, str(last)).now
    assert timeline.moment(ledger, "12").seq == 12
    assert timeline.moment(ledger, "2000-01-01T00:00").seq == 0
    assert timeline.moment(ledger, "2999-01-01T00:00+02:00").seq == last
    with pytest.raises(ReadRefused) as refused:
        timeline.moment(ledger, "yesterday")
    assert refused.value.field == "as_of" and refused.value.status == 422


def test_the_days_are_counted_and_follow_the_head(engine) -> None:
    ledger = told(engine)
    first = timeline.position(ledger, timeline.NOW)
    assert first.seq == first.head == head(engine)
    assert sum(day.events for day in first.days) == first.head
    assert first.days[-1].last_seq == first.head
    assert sum(day.departures for day in first.days) == 3  # c1, c2 and c3 departed
    told(engine, seed=8)  # more events: counted on from the last head
    now = timeline.position(ledger, timeline.NOW)
    assert sum(day.events for day in now.days) == now.head == head(engine) > first.head
    assert sum(day.departures for day in now.days) == 6
    back = timeline.position(ledger, timeline.moment(ledger, "5"))
    assert (back.seq, back.head, back.step(events=-1), back.step(events=1)) == (
        5, now.head, "4", "6")
    assert timeline.position(ledger, timeline.moment(ledger, "0")).step(events=-1) is None
    assert timeline.position(ledger, timeline.moment(ledger, str(now.head - 1))).step(
        events=1) == ""  # the next event is the last: now
