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
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from corridor.domain.state import OperationState
from corridor.ledger.chain import utc_text
from corridor.services.ledger import Ledger, fold_row
from corridor.services.reads import ReadRefused
from corridor.storage import ledger_store

T = TypeVar("T")


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
    """Answer `look` from the state at `when`; now is `Ledger.read`."""
    if when.seq is None:
        return ledger.read(look)
    return look(state_at(ledger, when.seq))


def state_at(ledger: Ledger, seq: int) -> OperationState:
    """The state folded from the first `seq` events."""
    state = OperationState()
    with ledger.engine.connect() as conn:
        for row in ledger_store.fact_rows(conn, upto=seq):
            fold_row(state, row)
    state.settle()
    return state
