"""What must hold after a run, read from the final database once the server stopped."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import Engine, select

from bench.faults.driver import Tally
from bench.faults.story import Entry, Story
from corridor.domain.vocabulary import Status
from corridor.services.ledger import Ledger, verify
from corridor.storage.projection_store import snapshot
from corridor.storage.schema import events, persons


@dataclass
class Findings:
    missing: int = 0  # device events not in the ledger
    lost: int = 0  # acknowledged in the final epoch, not at the seq their receipt gave
    duplicated: int = 0  # ledger rows beyond one per event sent
    verify: str | None = None  # why the chain does not verify
    rebuild: str | None = None  # how a rebuild differs from the live projections
    counts: str | None = None  # how the published counts differ from what happened
    mismatches: list[tuple[str, str, str]] = field(default_factory=list)  # person, truth, record


def check(engine: Engine, story: Story, tally: Tally) -> Findings:
    found = Findings()
    sent = {e.event_id: e for d in story.devices for e in d.entries if e.event_id}
    with engine.connect() as conn:
        rows = conn.execute(select(events.c.seq, events.c.id)).all()
        live = snapshot(conn)
        recorded = dict(conn.execute(select(persons.c.person_id, persons.c.status)).all())
    held = Counter(event_id for _, event_id in rows)
    found.missing = sum(1 for event_id, e in sent.items() if not e.hostile and not held[event_id])
    found.duplicated = sum(n - 1 for n in held.values()) + sum(1 for i in held if i not in sent)
    at_seq = dict(rows)
    found.lost = sum(1 for event_id, (epoch, seq) in tally.acks.items()
                     if epoch == tally.epoch and at_seq.get(seq) != event_id)

    verified = verify(engine)
    if verified.broken is not None or verified.reason:
        found.verify = verified.reason or "broken"
    found.rebuild = _rebuild_differs(engine, live)

    found.mismatches = [(p, truth.value, recorded.get(p, "absent"))
                        for p, truth in story.truth.items() if recorded.get(p) != truth]
    found.counts = _counts_differ(story, tally, sent)
    return found


def _rebuild_differs(engine: Engine, live: dict[str, list[tuple[str, ...]]]) -> str | None:
    try:
        Ledger(engine).rebuild()
    except Exception as exc:  # any failure of the fold is the finding
        return f"rebuild failed: {type(exc).__name__}: {str(exc)[:200]}"
    with engine.connect() as conn:
        again = snapshot(conn)
    differing = [table for table in live if live[table] != again[table]]
    return f"rebuild differs in {', '.join(differing)}" if differing else None


def _counts_differ(story: Story, tally: Tally, sent: dict[str, Entry]) -> str | None:
    """The published counts (GET /api/operation) against what happened: the story's
    statuses, plus whoever a hostile registration the server accepted registered."""
    expected = Counter({s.value: 0 for s in Status})
    expected.update(s.value for s in story.truth.values())
    expected[Status.WAITING.value] += sum(
        len(e.event["payload"]["members"]) for event_id, e in sent.items()
        if e.hostile and e.event.get("type") == "HouseholdRegistered"
        and tally.acks.get(event_id, ("", 0))[0] == tally.epoch)
    if tally.counts is None:
        return "no counts: the final GET /api/operation failed"
    published = tally.counts["by_status"]
    if published != dict(expected) or tally.counts["registered"] != expected.total():
        return f"published {published} (registered {tally.counts['registered']}), " \
               f"happened {dict(expected)}"
    return None
