"""The ledger service: every write to Corridor goes through here.

Two ways in, one path:
- `push`: events recorded on devices (often offline), each acknowledged with a
  receipt: accepted, duplicate (same id, same content: nothing changes) or
  rejected (malformed, not allowed for the sender's role, or a different content
  under a known id) — rejected events are kept in `rejects`, up to a cap per
  account and device (`config.max_rejects`); beyond it they are counted.
- `execute`: a command from the API or web UI. Its events are checked by the same
  fold; one the fold would refuse is not recorded and the caller gets the reason.

The operation's state is folded in memory and cached in the process; reads go to
the projection tables. A push only appends: its receipts mean the events are
durably in the ledger. The projections then catch up (`ensure_projected`) before
anything reads them, before every command, and in the background while the server
runs, so no read ever sees a state older than the events acknowledged before it.
Keeping the fold and the row writes off the push path lets field devices sync a
day's backlog quickly, and lets a projection pass write a row once for many events.
Any number of API workers can share one database: each catches its cached state up
with what the others appended, and `ledger_meta.projected_seq` says how far the
projection tables are written.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import orjson
from pydantic import ValidationError
from sqlalchemy import Connection, Engine

from corridor import config
from corridor.domain.events import (
    PAYLOADS,
    STORED,
    EventIn,
    Payload,
    describe,
    parse_payload,
    quoted,
)
from corridor.domain.permissions import MAY_RECORD
from corridor.domain.state import Fact, OperationState
from corridor.domain.vocabulary import Role
from corridor.ledger.chain import GENESIS, StoredEvent, canonical, chain, digest, utc_text
from corridor.ledger.chain import first_broken_link as _first_broken_link
from corridor.storage import ledger_store, projection_store
from corridor.storage.database import epoch_of, writing

MAX_BATCH = 1000
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is writing: the account, its role and the device it writes from; for a field
    account, its post (the location it is stationed at), which decides what it reads."""

    username: str
    role: Role
    device_id: str = "server"
    post_id: str | None = None


@dataclass(frozen=True, slots=True)
class Receipt:
    id: str | None
    status: str  # accepted | duplicate | rejected
    seq: int | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class PushResult:
    epoch: str
    head_seq: int
    receipts: list[Receipt]


class Refused(Exception):
    """A command the record cannot accept, with the reason (and field, if known)."""

    def __init__(self, reason: str, field: str | None = None, status: int = 409) -> None:
        super().__init__(reason)
        self.reason, self.field, self.status = reason, field, status


@dataclass(frozen=True, slots=True)
class _Checked:
    """A pushed event that passed validation, ready to be sequenced."""

    raw: Any
    event: EventIn
    event_id: str
    payload: Payload
    payload_json: str
    recorded_at: str  # the device clock as UTC text, hashed and stored
    digest: str


def _checked(raw: Any, event: EventIn, event_id: str, payload: Payload) -> _Checked:
    """An event ready to be sequenced: its payload in canonical JSON and its digest."""
    payload_json = canonical(payload.model_dump(mode="json")).decode()
    recorded_at = utc_text(event.recorded_at)
    return _Checked(raw, event, event_id, payload, payload_json, recorded_at, digest(
        event_id, event.type, payload_json, event.device_id, event.author, recorded_at))


_READ_BACK = {STORED: True}


def fact_of(row: Any) -> Fact:
    """A Fact from a `ledger_store.fact_rows` row."""
    seq, event_id, event_type, payload, recorded_at, author, device_id, pushed_by = row
    typed = PAYLOADS[event_type].model_validate_json(payload, context=_READ_BACK)
    return Fact(seq, event_id, event_type, typed, datetime.fromisoformat(recorded_at), author,
                device_id, pushed_by)


def fold_row(state: OperationState, row: Any) -> None:
    """Apply one stored event. Its payload was validated once, with the rules that
    read it back here, before it was appended; were one ever unreadable (a schema
    changed under it), it becomes a refused conflict rather than an exception that
    would stop every later fold, read and login."""
    try:
        fact = fact_of(row)
    except (KeyError, ValueError) as exc:
        state.unreadable(row.seq, row.id, row.type, str(exc).splitlines()[0])
        return
    state.apply(fact)


class Ledger:
    def __init__(self, engine: Engine, max_rejects: int | None = None) -> None:
        self.engine = engine
        # Rejected events kept per account and device (CORRIDOR_MAX_REJECTS).
        self.max_rejects = config.max_rejects() if max_rejects is None else max_rejects
        self._lock = threading.Lock()
        self.last_push = 0.0  # time.monotonic() of the last push, for the background projector
        self._state: OperationState | None = None
        self._epoch: str | None = None

    # --- the write path ----------------------------------------------------------------

    @contextmanager
    def _writing(self) -> Iterator[tuple[Connection, OperationState]]:
        """The write lock, the state caught up to the head, and on success every
        projection row written up to the head."""
        with self._lock:
            try:
                with writing(self.engine) as conn:
                    state = self._current(conn)
                    yield conn, state
                    projection_store.write_changes(conn, state)
                    ledger_store.mark_projected(conn, state.seq)
            except Refused:
                raise  # judged before anything was applied: the state is as it was
            except BaseException:
                self._state = None  # the cache may be ahead of what was committed
                raise

    def _current(self, conn: Connection) -> OperationState:
        """The cached state, caught up with every event appended so far. Rows for
        events already projected (by this or another process) are not marked to be
        written again; rows for the rest are."""
        epoch = epoch_of(conn)
        head_seq, projected = ledger_store.positions(conn)
        state = self._state
        if state is None or self._epoch != epoch or state.seq > head_seq:
            state, self._epoch = OperationState(), epoch
        behind = state.seq < projected  # rows up to `projected` are written already
        for row in ledger_store.fact_rows(conn, after=state.seq):
            if behind and row.seq > projected:
                state.settle()
                state.take_changes()  # what those rows changed is in the tables
                behind = False
            fold_row(state, row)
        state.settle()
        if behind:
            state.take_changes()
        self._state = state
        return state

    def ensure_projected(self) -> None:
        """Write the projections up to the last appended event (cheap when they are)."""
        with self.engine.connect() as conn:
            head_seq, projected = ledger_store.positions(conn)
        if projected < head_seq:
            with self._writing():
                pass

    def push(self, items: list[Any], principal: Principal, *,
             as_recorded: bool = False) -> PushResult:
        """Append what a device sent; one receipt per item, in order, quoting each id
        as the device sent it (the ledger keeps the canonical form). `as_recorded`
        takes each event as received at its own `recorded_at` instead of now: only the
        illustrative demo does that, telling its story as it happened so that "as of a
        time" walks through its days (`services.rehearsal`). The chain covers whichever
        receive time was stored, so `verify` checks it the same way."""
        received_at = utc_text(datetime.now(UTC))
        checked = [self._check(raw) for raw in items]
        receipts: list[Receipt] = []
        self.last_push = time.monotonic()
        with self._lock, writing(self.engine) as conn:
            ids = [c.event_id for c in checked if isinstance(c, _Checked)]
            known = ledger_store.known_digests(conn, ids)
            seq, previous = ledger_store.head(conn)
            new: list[StoredEvent] = []
            for item in checked:
                if isinstance(item, Receipt):
                    receipts.append(item)
                    continue
                receipt = _refusal(item, known, principal.role)
                if receipt is None:
                    seq += 1
                    stored = self._sequence(item, seq, previous, item.recorded_at
                                            if as_recorded else received_at, principal)
                    previous = stored.chain
                    new.append(stored)
                    known[item.event_id] = (seq, item.digest)
                    receipt = Receipt(item.event.id, "accepted", seq)
                receipts.append(receipt)
            ledger_store.append(conn, new)
            ledger_store.keep_rejects(conn, [
                {"event_id": _stored_id(receipt.id), "received_at": received_at,
                 "reason": receipt.reason, "body": _body(raw)}
                for raw, receipt in zip(items, receipts, strict=True)
                if receipt.status == "rejected"], principal.username, principal.device_id,
                self.max_rejects, received_at)
            epoch = epoch_of(conn)
        return PushResult(epoch, seq, receipts)

    @staticmethod
    def _check(raw: Any) -> _Checked | Receipt:
        """A well-formed event ready to sequence, or its rejection naming the field."""
        raw_id = raw.get("id") if isinstance(raw, dict) else None
        raw_id = quoted(raw_id) if isinstance(raw_id, str) and len(raw_id) <= 64 else None
        try:
            event = EventIn.model_validate(raw)
            event_id = str(uuid.UUID(event.id))
            payload = parse_payload(event.type, event.payload)
        except ValidationError as exc:
            return Receipt(raw_id, "rejected", reason=describe(exc))
        except ValueError as exc:
            return Receipt(raw_id, "rejected", reason=str(exc) if str(exc).startswith(
                ("type", "payload")) else f"id: {exc}")
        return _checked(raw, event, event_id, payload)

    @staticmethod
    def _sequence(item: _Checked, seq: int, previous: str, received_at: str,
                  principal: Principal) -> StoredEvent:
        return StoredEvent(
            seq=seq, id=item.event_id, type=item.event.type, payload=item.payload_json,
            device_id=item.event.device_id, author=item.event.author,
            recorded_at=item.recorded_at, received_at=received_at,
            pushed_by=principal.username, digest=item.digest,
            chain=chain(previous, item.digest, seq, received_at, principal.username))

    def execute(self, principal: Principal,
                decide: Callable[[OperationState], list[Payload]]) -> list[int]:
        """Run a command: `decide` reads the current state and returns the events to
        record (raising Refused if it cannot); the fold judges them as a whole without
        changing the state, and the command is recorded whole or not at all."""
        now = datetime.now(UTC)
        with self._writing() as (conn, state):
            seq, previous = ledger_store.head(conn)
            facts: list[Fact] = []
            for payload in decide(state):
                event_type = type(payload).__name__
                if event_type not in MAY_RECORD[principal.role]:
                    raise Refused(f"the {principal.role} role may not record {event_type}",
                                  status=403)
                facts.append(Fact(seq + len(facts) + 1, str(uuid.uuid4()), event_type,
                                  payload, now, principal.username, principal.device_id,
                                  principal.username))
            if objection := state.would_refuse(facts):
                raise Refused(objection.reason, objection.field,
                              409 if objection.clash else 422)
            new: list[StoredEvent] = []
            for fact in facts:
                event = EventIn(id=fact.event_id, type=fact.type, payload={},
                                device_id=principal.device_id, author=principal.username,
                                recorded_at=now)
                stored = self._sequence(_checked(None, event, event.id, fact.payload),
                                        fact.seq, previous, utc_text(now), principal)
                previous = stored.chain
                new.append(stored)
                state.apply(fact)
            state.settle()
            ledger_store.append(conn, new)
        return [event.seq for event in new]

    def read(self, look: Callable[[OperationState], T]) -> T:
        """Answer a question from the current state (e.g. the boarding queue); the
        state is caught up with every event appended, projected or not."""
        with self._lock, self.engine.connect() as conn:
            try:
                return look(self._current(conn))
            except BaseException:
                self._state = None
                raise

    # --- whole-ledger work -------------------------------------------------------------

    def rebuild(self, progress: Callable[[int], None] | None = None) -> int:
        """Throw the projections away and fold them again from the first event."""
        with self._lock:
            self._state = None
            with writing(self.engine) as conn:
                state = OperationState()
                count = 0
                for row in ledger_store.fact_rows(conn):
                    fold_row(state, row)
                    count += 1
                    if progress and count % 5000 == 0:
                        progress(5000)
                state.settle()
                projection_store.replace_all(conn, state)
                ledger_store.mark_projected(conn, state.seq)
                if progress:
                    progress(count % 5000)
                self._state, self._epoch = state, epoch_of(conn)
        return count

    def pull(self, since: int, limit: int) -> tuple[str, int, list[StoredEvent]]:
        with self.engine.connect() as conn:
            head_seq, _ = ledger_store.head(conn)
            return epoch_of(conn), head_seq, list(ledger_store.read(conn, after=since,
                                                                     limit=limit))


@dataclass(frozen=True, slots=True)
class Verification:
    checked: int
    broken: StoredEvent | None
    reason: str | None


def verify(engine: Engine) -> Verification:
    """Check every digest and chain link, and that the chain ends where the ledger
    says its head is (so a deleted last event is noticed too)."""
    with engine.connect() as conn:
        count = 0

        def counted() -> Iterator[StoredEvent]:
            nonlocal count
            for stored in ledger_store.read(conn):
                count += 1
                yield stored

        broken = _first_broken_link(counted(), ledger_store.attested_from(conn))
        if broken is not None:
            return Verification(count, *broken)
        head_seq, head_chain = ledger_store.head(conn)
        last = next(iter(ledger_store.read(conn, after=head_seq - 1, limit=1)), None) \
            if head_seq else None
        if head_seq != count or (last is not None and last.chain != head_chain) or (
                last is None and head_chain != GENESIS):
            return Verification(count, last, f"the ledger's head says {head_seq} events, "
                                f"the chain holds {count}")
        return Verification(count, None, None)


def _refusal(item: _Checked, known: dict[str, tuple[int, str]], role: Role) -> Receipt | None:
    """The receipt of a pushed event that is not to be appended, or None. One the ledger
    already holds is a duplicate whoever re-sends it: after a restore a device re-sends
    all it holds, other roles' events included."""
    sent = item.event.id
    held = known.get(item.event_id)
    if held is not None and held[1] == item.digest:
        return Receipt(sent, "duplicate", held[0])
    if item.event.type not in MAY_RECORD[role]:
        return Receipt(sent, "rejected",
                       reason=f"type: the {role} role may not record {item.event.type}")
    if held is not None:
        return Receipt(sent, "rejected", reason=(
            f"id: event {sent} is already recorded (seq {held[0]}) with different content"))
    return None


def _stored_id(sent: str | None) -> str | None:
    """A rejected event's id as the `rejects` table keeps it: canonical, or none at all."""
    try:
        return str(uuid.UUID(sent)) if sent else None
    except ValueError:
        return None


def _body(raw: Any) -> str:
    """What arrived, as JSON text with control characters and surrogates escaped, so
    either database can keep it whatever it holds."""
    try:
        return orjson.dumps(raw).decode()
    except TypeError:  # a lone surrogate, or nested deeper than orjson writes
        pass
    try:
        return json.dumps(raw)
    except RecursionError:
        return json.dumps(f"not kept: a {type(raw).__name__} nested too deep to store")
