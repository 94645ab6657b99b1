"""The fault suite's CI slice (bench/faults): field devices' stories delivered to a
real `corridor serve` with faults injected, on SQLite and PostgreSQL, every run held to
every invariant. A failing run names its seed; `python -m bench.faults --seed SEED
--runs 1 --database sqlite|postgresql` repeats it (the explicit plans below apart).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import pytest
from bench.faults import hostile
from bench.faults.plan import Plan
from bench.faults.run import Outcome, run, spares
from bench.faults.story import Story, tell
from sqlalchemy import Engine, select

from corridor.domain.events import PAYLOADS
from corridor.domain.permissions import MAY_RECORD
from corridor.domain.vocabulary import Role, Status
from corridor.services.ledger import Ledger, Principal
from corridor.storage.schema import persons

# Drawn plans (Plan.draw), chosen for their spread: causal with a name that grows under
# NFC and 64-character ids; two phones online late, with a NUL in an event id; shuffled
# with malformed events. All three lose answers, race duplicates and skew clocks.
SLICE = [7, 17, 24]


def fault_run(engine: Engine, database_url: str, seed: int, plan: Plan | None = None) -> Outcome:
    postgres = engine.url.set(query={}).render_as_string(hide_password=False)
    with spares(engine.dialect.name, postgres) as spare:
        return run(seed, database_url, spare, plan)


def holds(outcome: Outcome) -> None:
    failures = outcome.failures()
    assert not failures, f"seed {outcome.seed} ({outcome.plan}):\n" + "\n".join(failures)


# --- the story and its truth, without a server ------------------------------------------

def test_stories_keep_each_device_in_its_own_order_with_skewed_clocks() -> None:
    stories = [tell(seed, skewed=True) for seed in range(40)]
    statuses = Counter(s for story in stories for s in story.truth.values())
    assert set(statuses) == set(Status)  # every status happens somewhere
    skews = {d.skew for story in stories for d in story.devices}
    assert max(abs(s) for s in skews) >= timedelta(hours=3)
    for story in stories:
        ids = [e.event_id for d in story.devices for e in d.entries]
        assert len(set(ids)) == len(ids)
        for device in story.devices:
            clock = [datetime.fromisoformat(e.event["recorded_at"]) for e in device.entries]
            assert clock == sorted(clock) and [e.at for e in device.entries] == sorted(
                e.at for e in device.entries)
    assert tell(7, skewed=True).truth == tell(7, skewed=True).truth  # a seed is a story


def test_hostile_events_go_to_a_device_that_may_record_them_after_the_set_up() -> None:
    story = tell(5)
    hostile.inject(story, hostile.KINDS, 5)
    injected = [(d, e) for d in story.devices for e in d.entries if e.hostile]
    assert len(injected) == len(hostile.KINDS) + 4  # long_ids is five events
    for device, entry in injected:
        event_type = entry.event.get("type") if isinstance(entry.event, dict) else None
        if event_type in PAYLOADS:
            assert event_type in MAY_RECORD[device.role], (device.device_id, event_type)
    coordinator = story.device(Role.COORDINATOR).entries
    first = next(i for i, e in enumerate(coordinator) if e.hostile)
    assert not any(e.event["type"] == "ConvoyPlanned" and not e.hostile
                   for e in coordinator[first:])


def _deliver_as_it_happened(engine: Engine, story: Story) -> dict[str, str]:
    """Every event pushed in-process in the story's true order, one at a time."""
    ledger = Ledger(engine)
    by_device = {d.device_id: d for d in story.devices}
    entries = sorted((e for d in story.devices for e in d.entries), key=lambda e: e.at)
    for entry in entries:
        device = by_device[entry.event["device_id"]]
        receipts = ledger.push([entry.event], Principal(device.username, device.role,
                                                         device.device_id)).receipts
        assert receipts[0].status == "accepted", receipts[0].reason
    ledger.ensure_projected()
    with engine.connect() as conn:
        return dict(conn.execute(select(persons.c.person_id, persons.c.status)).all())


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_a_story_delivered_as_it_happened_records_its_truth(engine: Engine, seed: int) -> None:
    """The generator's ground truth is what the fold makes of the story in true order,
    so a mismatch under faults is the server's, not the story's."""
    story = tell(seed, skewed=True)
    assert _deliver_as_it_happened(engine, story) == {p: s.value for p, s in
                                                      story.truth.items()}


# --- through a real server -----------------------------------------------------------------

@pytest.mark.parametrize("seed", SLICE)
def test_a_randomized_slice_keeps_every_invariant(engine: Engine, database_url: str,
                                                  seed: int) -> None:
    outcome = fault_run(engine, database_url, seed)
    assert outcome.tally.pushes > 0 and outcome.events > 50
    holds(outcome)


def test_kill_9_mid_push_and_a_restore_from_an_older_backup_lose_nothing(
        engine: Engine, database_url: str) -> None:
    """Every fault at once, devices syncing out of order: the server is killed twice
    mid-push, a backup is taken, more is pushed, and the backup is restored into a
    fresh database (a new epoch: every device re-sends everything it holds)."""
    plan = Plan(order="shuffled", max_batch=12, lost=0.15, twice=0.15, kills=(0.2, 0.7),
                backup_at=0.3, restore_at=0.55, hostile=hostile.KINDS, skew=True)
    outcome = fault_run(engine, database_url, 2016, plan)
    tally = outcome.tally
    assert (tally.kills, tally.restores) == (2, 1)
    assert tally.lost_responses and tally.twice
    holds(outcome)
