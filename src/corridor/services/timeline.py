"""The operation as it stood at any moment.

State is folded from facts, so the record as it stood after any event can be folded
again: the dashboard, the convoy board, alerts and manifests can all be shown as of a
ledger sequence number, or as of a time, which means *the record as the server had
received it by then* (the last event received by that time). That is reproducible:
the same moment always gives the same page, whatever was synced later, which is
what a coordinator needs to see what was known when a decision was taken.

A page asks `moment` to read its `as_of` parameter and `read_at` to answer a
question from the state at that moment, exactly as `Ledger.read` answers it from the
state now. The state handed to `look` is shared and must not be changed.

Folding 83,000 events (the 35,000-person demo) takes about 3 s, so a jump folds
forward from the nearest **snapshot**: the state pickled every `EVERY` events, kept in
the `snapshots` table so every process on one PostgreSQL shares them. They are made
in the background (`make_snapshot`, called by the server once pushes pause), never
under the ledger's write lock; keyed by the database's epoch (a restore starts
afresh) and a hash of the fold's code (`FOLD`: a changed fold never loads a state
the old one made). A snapshot is signed with an HMAC under the server's secret and
one that does not verify is dropped unread, because unpickling runs code: anyone
able to write the table could otherwise run theirs in the server. The last two
states asked for stay in memory, so stepping back and forth between them is free.
docs/accounting.md ("As of any moment") has the design and docs/benchmarks.md the figures.
"""

from __future__ import annotations

import gc
import hashlib
import hmac
import logging
import pickle
import sys
import threading
import zlib
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

import corridor.domain
from corridor.domain.events import ConvoyDeparted
from corridor.domain.state import OperationState
from corridor.ledger.chain import utc_text
from corridor.services.ledger import Ledger, fold_row
from corridor.services.reads import ReadRefused
from corridor.storage import ledger_store, snapshot_store
from corridor.storage.database import epoch_of, immediate

T = TypeVar("T")
log = logging.getLogger("corridor")

# Events between snapshots: loading the 35,000-person demo's last state takes 0.7 s
# and folding on costs about 30 µs an event, so 10,000 more keep a jump near a second
# there (docs/benchmarks.md, "As of any moment").
EVERY = 10_000
CACHED = 2  # states kept in memory: each costs about 1 KB a person


def _fold_hash() -> str:
    """A hash of the domain package's source (the fold and the records it makes) and
    of the Python that pickles them: a snapshot made by other code is never loaded."""
    digest = hashlib.sha256(f"python {sys.version_info[:2]}".encode())
    for path in sorted(Path(corridor.domain.__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


FOLD = _fold_hash()


@dataclass(frozen=True, slots=True)
class Moment:
    """A point in the record: `seq` None for now; `at` the time asked for, if one was."""

    seq: int | None = None
    at: datetime | None = None

    @property
    def now(self) -> bool:
        return self.seq is None


NOW = Moment()


def moment(ledger: Ledger, as_of: str | None) -> Moment:
    """Read an `as_of` parameter: empty for now, a ledger sequence number ("12345"), or
    a time in ISO 8601 (UTC unless it names an offset). A moment at or past the head
    is now. ReadRefused(422, field "as_of") for anything else."""
    text = (as_of or "").strip().lstrip("#")
    if not text:
        return NOW
    with ledger.engine.connect() as conn:
        head, _ = ledger_store.head(conn)
        if text.isdigit():
            seq, at = int(text), None
        else:
            try:
                at = datetime.fromisoformat(text)
            except ValueError:
                raise ReadRefused(422, "as_of is neither a sequence number nor a time",
                                  "as_of") from None
            at = at if at.tzinfo else at.replace(tzinfo=UTC)
            seq = ledger_store.seq_received_by(conn, utc_text(at))
    return NOW if seq >= head and at is None else Moment(min(seq, head), at)


def read_at(ledger: Ledger, when: Moment, look: Callable[[OperationState], T]) -> T:
    """Answer `look` from the state at `when`; now is `Ledger.read`. A state as of an
    earlier moment is the cache's, lent for as long as `look` runs."""
    if when.seq is None:
        return ledger.read(look)
    timeline = _timeline(ledger)
    state = _borrow(ledger, timeline, when.seq)
    try:
        return look(state)
    finally:
        _give_back(timeline, state)


@dataclass(frozen=True, slots=True)
class Day:
    """A day the server received events on (UTC): how many, the last one's sequence
    number (the end of that day) and how many convoys departed that day."""

    date: str  # YYYY-MM-DD
    events: int
    last_seq: int
    departures: int


@dataclass(slots=True)
class _Timeline:
    """What one ledger's past costs to keep: the key snapshots are signed with (None:
    none are kept or read), how often they are made, the last states asked for."""

    key: bytes | None = None
    every: int = EVERY
    lock: threading.Lock = field(default_factory=threading.Lock)
    states: OrderedDict[tuple[str, int], OperationState] = field(default_factory=OrderedDict)
    days: tuple[str, int, list[Day]] = ("", -1, [])  # (epoch, head) they were counted at
    maker: tuple[str, OperationState] | None = None  # the state `make_snapshot` sealed last
    reading: Counter[int] = field(default_factory=Counter)  # id(state): reads in flight
    evicted: dict[int, OperationState] = field(default_factory=dict)  # to release after them


_timelines: WeakKeyDictionary[Ledger, _Timeline] = WeakKeyDictionary()


def _timeline(ledger: Ledger) -> _Timeline:
    return _timelines.setdefault(ledger, _Timeline())


def keep_snapshots(ledger: Ledger, secret: str, every: int = EVERY) -> None:
    """Keep and read snapshots for this ledger, signed under a key derived from the
    server's secret (so the session key itself signs nothing else)."""
    timeline = _timeline(ledger)
    timeline.key = hmac.new(secret.encode(), b"corridor fold snapshots", "sha256").digest()
    timeline.every = every


def state_at(ledger: Ledger, seq: int) -> OperationState:
    """The state folded from the first `seq` events, the caller's own: exactly what a
    fresh fold gives, from the nearest snapshot at or below `seq` and the events after."""
    with ledger.engine.connect() as conn:
        return _fold_to(conn, _timeline(ledger), epoch_of(conn), seq)


def _borrow(ledger: Ledger, timeline: _Timeline, seq: int) -> OperationState:
    """The state at `seq` from the cache, folded if it is not there; the least lately
    asked for beyond `CACHED` is evicted, and released once nobody is reading it."""
    with timeline.lock, ledger.engine.connect() as conn:
        key = (epoch_of(conn), seq)
        state = timeline.states.get(key)
        if state is None:
            state = timeline.states[key] = _fold_to(conn, timeline, key[0], seq)
        timeline.states.move_to_end(key)
        timeline.reading[id(state)] += 1
        while len(timeline.states) > CACHED:
            _, evicted = timeline.states.popitem(last=False)
            if timeline.reading[id(evicted)]:
                timeline.evicted[id(evicted)] = evicted
            else:
                _release(evicted)
        return state


def _give_back(timeline: _Timeline, state: OperationState) -> None:
    with timeline.lock:
        timeline.reading[id(state)] -= 1
        if not timeline.reading[id(state)]:
            del timeline.reading[id(state)]
            if timeline.evicted.pop(id(state), None) is not None:
                _release(state)


def _release(state: OperationState) -> None:
    """Free an evicted state's records now. The state holds a cycle (its movements
    point back at it), which only the collector's full passes free, and the server
    makes those rare (`config.tune_gc`): without this, each new moment shown kept
    about 1 KB a person more (125 MB at 35,000 people) until one came. Only a state
    nobody is reading is released."""
    vars(state).clear()


def _fold_to(conn: Connection, timeline: _Timeline, epoch: str, seq: int) -> OperationState:
    state = _nearest(conn, timeline, epoch, seq) or OperationState()
    for row in ledger_store.fact_rows(conn, after=state.seq, upto=seq):
        fold_row(state, row)
    state.settle()
    return state


def _nearest(conn: Connection, timeline: _Timeline, epoch: str,
             seq: int) -> OperationState | None:
    """The state of the nearest snapshot at or below `seq` that verifies; one that does
    not (made under another secret, or tampered with) is dropped, to be made again."""
    if timeline.key is None:
        return None
    for at, data in snapshot_store.nearest(conn, epoch, FOLD, seq):
        state = _unsealed(timeline.key, data)
        if state is not None and state.seq == at:
            return state
        log.warning("snapshot at seq %d does not verify: dropped", at)
        with immediate(conn.engine) as writer:
            snapshot_store.forget(writer, epoch, FOLD, at)
    return None


def make_snapshot(ledger: Ledger) -> int | None:
    """Make the first missing snapshot (at a multiple of `every` events, up to the
    head); the sequence number made, or None when none is missing. Reads only: pushes
    never wait on it. It folds on from the state it made last when that is the one
    below (a run of missing snapshots is one fold), else from the nearest snapshot."""
    timeline = _timeline(ledger)
    if timeline.key is None:
        return None
    with ledger.engine.connect() as conn:
        epoch = epoch_of(conn)
        head, _ = ledger_store.head(conn)
        made = snapshot_store.made(conn, epoch, FOLD)
        missing = next((seq for seq in range(timeline.every, head + 1, timeline.every)
                        if seq not in made), None)
        last, timeline.maker = timeline.maker, None
        if missing is None:
            return None
        if last is not None and last[0] == epoch and last[1].seq == missing - timeline.every:
            state = last[1]
            for row in ledger_store.fact_rows(conn, after=state.seq, upto=missing):
                fold_row(state, row)
            state.settle()
        else:
            state = _fold_to(conn, timeline, epoch, missing)
    state.take_changes()  # what changed is for projections, not for a snapshot
    data = _sealed(timeline.key, state)
    try:
        with immediate(ledger.engine) as writer:
            snapshot_store.keep(writer, epoch, FOLD, missing, data)
    except IntegrityError:  # another process kept the same state first
        pass
    timeline.maker = (epoch, state)
    return missing


def _sealed(key: bytes, state: OperationState) -> bytes:
    # zlib at level 1 makes the 35,000-person demo's state 6 MB instead of 30 MB for
    # 0.16 s, and costs 0.08 s to undo.
    with _collector_paused():
        body = zlib.compress(pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL), 1)
    return hmac.new(key, body, "sha256").digest() + body


def _unsealed(key: bytes, data: bytes) -> OperationState | None:
    mac, body = data[:32], data[32:]
    if not hmac.compare_digest(mac, hmac.new(key, body, "sha256").digest()):
        return None
    with _collector_paused():
        state = pickle.loads(zlib.decompress(body))  # noqa: S301 - verified above
    return state if isinstance(state, OperationState) else None


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Unpickling makes hundreds of thousands of objects at once, and the cyclic
    collector would rescan them many times over: 2.5 s instead of 0.7 s at 35,000
    people. Nothing it makes is garbage."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass(frozen=True, slots=True)
class Position:
    """Where a moment lies in the record, for the picker: the event it shows (the head
    for now), how many there are, when the server received it, and the days."""

    moment: Moment
    seq: int
    head: int
    received_at: datetime | None
    days: list[Day]

    @property
    def day(self) -> str | None:
        return None if self.received_at is None else self.received_at.date().isoformat()

    def step(self, events: int = 0, hours: int = 0) -> str | None:
        """The `as_of` a step of this many events or hours away asks for: "" for now
        (a step to or past the last event), None where the record does not reach."""
        if events:
            target = self.seq + events
            return None if target < 0 else "" if target >= self.head else str(target)
        if self.received_at is None:
            return None
        at = self.received_at + timedelta(hours=hours)
        last = self.days[-1].date if self.days else ""
        if hours > 0 and (self.moment.now or at.date().isoformat() > last):
            return None if self.moment.now else ""
        return at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="minutes")


def position(ledger: Ledger, when: Moment) -> Position:
    """Where `when` lies in the record, and the days with events (counted once, then
    only the events received since, as the head moves)."""
    timeline = _timeline(ledger)
    with ledger.engine.connect() as conn:
        epoch = epoch_of(conn)
        head, _ = ledger_store.head(conn)
        if timeline.days[:2] != (epoch, head):
            timeline.days = (epoch, head, _days_on(
                timeline.days[2] if timeline.days[0] == epoch else [],
                ledger_store.days(conn, ConvoyDeparted.__name__,
                                  after=timeline.days[1] if timeline.days[0] == epoch else 0)))
        seq = head if when.seq is None else when.seq
        received = ledger_store.received_at(conn, seq)
    at = when.at or (datetime.fromisoformat(received) if received else None)
    return Position(when, seq, head, at, timeline.days[2])


def _days_on(known: list[Day], rows: list[tuple[str, int, int, int]]) -> list[Day]:
    """The days counted so far with the counts of the events after them added (a day
    may go on, and a push that waited for the lock across midnight can land after an
    event received the next day)."""
    days = {day.date: day for day in known}
    for date, events, last_seq, departures in rows:
        was = days.get(date, Day(date, 0, 0, 0))
        days[date] = Day(date, was.events + events, max(was.last_seq, last_seq),
                         was.departures + departures)
    return [days[date] for date in sorted(days)]
