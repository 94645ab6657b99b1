"""One run: the seed's story and plan, delivered to a real server, then checked."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.faults import hostile
from bench.faults.driver import Driver, Tally
from bench.faults.invariants import Findings, check
from bench.faults.plan import Plan
from bench.faults.server import Server
from bench.faults.story import tell
from bench.ledger.targets import Target, fresh
from corridor.storage.database import connect


@dataclass
class Outcome:
    seed: int
    backend: str
    plan: Plan
    events: int  # the story's device events (hostile ones apart)
    hostile: int
    people: int
    tally: Tally
    findings: Findings
    seconds: float

    def failures(self) -> list[str]:
        """Each invariant that does not hold, with what was seen."""
        t, f = self.tally, self.findings
        checks = [
            (t.server_errors, f"no 5xx: {t.server_errors} answers were, e.g. {t.errors[:1]}"),
            (f.missing, f"every device event in the ledger: {f.missing} are not ({t.stuck} "
                        f"phones stuck, {t.rejected} device events rejected, e.g. "
                        f"{t.rejections[:1]})"),
            (f.duplicated, f"each event once: {f.duplicated} extra ledger rows"),
            (f.lost, f"nothing acknowledged missing: {f.lost} acknowledged events are not "
                     "at their seq"),
            (t.disagreements, f"one seq per event: {t.disagreements} receipts disagree"),
            (t.receipt_faults, f"one receipt per event: {t.receipt_faults} answers were not"),
            (f.verify, f"the chain verifies: {f.verify}"),
            (f.rebuild, f"rebuild equals live: {f.rebuild}"),
            (f.counts, f"counts are what happened: {f.counts}"),
            (f.mismatches, f"status is what happened: {len(f.mismatches)} of {self.people} "
                           f"people differ (person, happened, recorded), e.g. "
                           f"{f.mismatches[:3]}"),
            (t.timed_out, "the run finished in time: it did not"),
            (t.aborted, f"the run finished: {t.aborted}"),
        ]
        return [message for failed, message in checks if failed]


def run(seed: int, database: str, spare: Callable[[], str], plan: Plan | None = None,
        time_limit: float = 300) -> Outcome:
    """Serve `database`, deliver the seed's story with the plan's faults (the seed's
    own plan unless one is given), check the invariants. `spare` makes the fresh
    database a restore goes into."""
    plan = plan or Plan.draw(seed)
    story = tell(seed, skewed=plan.skew)
    hostile.inject(story, plan.hostile, seed)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="corridor-faults-") as scratch:
        server = Server(database, Path(scratch) / "server.log")
        server.start()
        try:
            tally = Driver(story, plan, server, spare, Path(scratch),
                           time.monotonic() + time_limit).deliver()
        finally:
            server.stop()
        engine = connect(server.database)  # after a restore, the restored one
        try:
            findings = check(engine, story, tally)
        finally:
            engine.dispose()
    return Outcome(seed, engine.dialect.name, plan, story.events,
                   sum(e.hostile for d in story.devices for e in d.entries), len(story.truth),
                   tally, findings, time.perf_counter() - started)


def url_of(target: Target) -> str:
    """A database URL the `corridor` command accepts, its schema included."""
    if target.schema is None:
        return target.url
    return f"{target.url}?options=-csearch_path%3D{target.schema}"


@contextmanager
def spares(backend: str, postgres: str) -> Iterator[Callable[[], str]]:
    """Fresh, initialised databases on demand (a file, or a schema of `postgres`),
    every one removed on exit."""
    with ExitStack() as stack:
        yield lambda: url_of(stack.enter_context(fresh(backend, postgres, "faults")))
