"""Moving an illustrative operation forward in time: the demo told as it happened.

`corridor demo` loads its story only up to a moment when convoys are on the road and
keeps the rest **withheld** in `demo_pending`, in story order, each event as the push
API takes it. Moving forward pushes the withheld events up to a new moment, each as
received at its own `recorded_at` (`Ledger.push(as_recorded=True)`), so that the
record "as of a time" walks through the story's days, then removes them from the
table. Interrupted half-way, it is simply run again: an event pushed already comes
back as a duplicate and changes nothing.

Only an illustrative operation moves forward, and only at a coordinator's or an
administrator's hand: a real operation's record is what its devices sent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, delete, func, insert, select

from corridor.domain.permissions import COORDINATES
from corridor.domain.vocabulary import Role
from corridor.ledger.chain import utc_text
from corridor.services.ledger import MAX_BATCH, Ledger, Principal, Refused
from corridor.storage.schema import demo_clock, demo_pending

# The demo's events are the generator's, pushed by this account whoever moves it on.
PRINCIPAL = Principal("demo", Role.COORDINATOR, "demo-generator")
MORNING = time(6)  # "the next morning": 06:00 UTC, 08:00 in Syria in December


@dataclass(frozen=True, slots=True)
class Rehearsal:
    """Where an illustrative operation stands: its moment, and what is still to come."""

    stands_at: datetime
    withheld: int
    next_at: datetime | None  # the next withheld event's time
    ends_at: datetime | None  # the last one's

    @property
    def steps(self) -> dict[str, datetime]:
        """The moments the dashboard offers to move to, by name."""
        morning = datetime.combine(self.stands_at.date() + timedelta(days=1), MORNING, UTC)
        return {"hour": self.stands_at + timedelta(hours=1),
                "six_hours": self.stands_at + timedelta(hours=6), "morning": morning}


@dataclass(frozen=True, slots=True)
class Advanced:
    pushed: int
    stands_at: datetime
    withheld: int


def withhold(engine: Engine, events: Iterable[dict[str, Any]], stands_at: datetime) -> int:
    """Keep these events (as the push API takes them, in story order) for later, and
    say the demo stands at `stands_at`. Returns how many were withheld."""
    count = 0
    with engine.begin() as conn:
        conn.execute(delete(demo_clock))
        conn.execute(insert(demo_clock).values(id=1, stands_at=utc_text(stands_at)))
        batch: list[dict[str, Any]] = []
        for event in events:
            batch.append({"position": count, "event": orjson.dumps(event).decode(),
                          "recorded_at": utc_text(datetime.fromisoformat(event["recorded_at"]))})
            count += 1
            if len(batch) == MAX_BATCH:
                conn.execute(insert(demo_pending), batch)
                batch = []
        if batch:
            conn.execute(insert(demo_pending), batch)
    return count


def standing(engine: Engine) -> Rehearsal | None:
    """Where the demo stands, or None for an operation loaded whole (or a real one)."""
    with engine.connect() as conn:
        clock = conn.execute(select(demo_clock.c.stands_at)).scalar()
        if clock is None:
            return None
        count, first, last = conn.execute(select(
            func.count(), func.min(demo_pending.c.recorded_at),
            func.max(demo_pending.c.recorded_at))).one()
    return Rehearsal(datetime.fromisoformat(clock), int(count), _time(first), _time(last))


def advance(ledger: Ledger, who: Principal, to: datetime | None) -> Advanced:
    """Push the withheld events recorded up to `to` (None: all of them, the end of the
    story) as received when they happened, and move the demo's clock there."""
    if who.role not in COORDINATES:
        raise Refused(f"the {who.role} role may not move the demo forward", status=403)
    # Before the story opens the operation (`--at` an earlier time) there is none yet.
    if not ledger.read(lambda state: all(o.illustrative for o in state.operation.values())):
        raise Refused("this is a real operation: only an illustrative demo moves forward "
                      "in time", status=409)
    now = standing(ledger.engine)
    if now is None:
        raise Refused("the demo was loaded whole: nothing is withheld", status=409)
    if to is not None and to.tzinfo is None:
        to = to.replace(tzinfo=UTC)
    if to is not None and to <= now.stands_at:
        raise Refused(f"the demo already stands at {utc_text(now.stands_at)}: choose a later "
                      "time", "to", status=422)
    upto = utc_text(to) if to is not None else None
    pushed = 0
    while batch := _next_batch(ledger.engine, upto):
        result = ledger.push([event for _, event in batch], PRINCIPAL, as_recorded=True)
        for receipt in result.receipts:
            if receipt.status == "rejected":
                raise RuntimeError(f"demo event {receipt.id} was rejected: {receipt.reason}")
            pushed += receipt.status == "accepted"
        with ledger.engine.begin() as conn:
            conn.execute(delete(demo_pending).where(
                demo_pending.c.position.in_([position for position, _ in batch])))
    stands_at = to if to is not None else max(now.ends_at or now.stands_at, now.stands_at)
    with ledger.engine.begin() as conn:
        conn.execute(demo_clock.update().values(stands_at=utc_text(stands_at)))
        withheld = _withheld(conn)
    ledger.ensure_projected()
    return Advanced(pushed, stands_at, withheld)


def _next_batch(engine: Engine, upto: str | None) -> list[tuple[int, Any]]:
    query = select(demo_pending.c.position, demo_pending.c.event)
    if upto is not None:
        query = query.where(demo_pending.c.recorded_at <= upto)
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(demo_pending.c.position).limit(MAX_BATCH)).all()
    return [(int(position), orjson.loads(event)) for position, event in rows]


def _withheld(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(demo_pending)).scalar_one())


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None
