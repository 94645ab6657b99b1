"""The operation as of any moment: what a jump to an earlier moment costs with the
fold's snapshots, against a full fold to the same moment in the same run
(docs/benchmarks.md, "As of any moment").

    .venv/bin/python -m bench.timeline [--people 35000 200000 --moments 10 --every 10000]
    .venv/bin/python -m bench.timeline --report bench/results/timeline-<date>.json

For each size, on a fresh SQLite database (or `--database DIR`, reused if it holds
one): the demo generator's events are pushed into the ledger as the demo loads them
(a size the demo cannot load, events the fold would refuse, are pushed all the same
and counted: the ledger keeps what it is sent); the snapshots are made, one every
`--every` events (`timeline.make_snapshot`, as the server does in the background):
the time and size of each; then `--moments` random sequence numbers are each asked
for three ways:
- cold: a process with nothing in memory, the state from the nearest snapshot and
  the events after it (`timeline.state_at`);
- warm: the same moment again (the in-memory cache), and a step of one event back
  (a snapshot load and a short fold: what stepping costs);
- baseline: a full fold from the first event to the same moment.
Wall-clock and CPU times both: on a shared machine the CPU time is the fairer figure.
Each phase runs in a process of its own, so its peak memory (max RSS) is its own.
Results are printed as a table and written to bench/results/timeline-<date>.json.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

from corridor import config
from corridor.demo import PRINCIPAL, generate
from corridor.domain.state import OperationState
from corridor.services import timeline
from corridor.services.ledger import MAX_BATCH, Ledger, fold_row
from corridor.storage import ledger_store
from corridor.storage.database import connect, initialise
from corridor.storage.schema import snapshots

RESULTS = Path(__file__).parent / "results"
SECRET = "bench timeline secret"
TARGET_S = 1.0  # issue 12: a jump costs at most about a second


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def ledger_at(database: Path, every: int) -> Ledger:
    engine = connect(str(database))
    initialise(engine)
    ledger = Ledger(engine)
    timeline.keep_snapshots(ledger, SECRET, every=every)
    return ledger


def head_of(ledger: Ledger) -> int:
    with ledger.engine.connect() as conn:
        return ledger_store.head(conn)[0]


# --- the phases, each in its own process ------------------------------------------------

def load(ledger: Ledger, people: int, seed: int) -> dict[str, Any]:
    """Push the demo's events as `demo.load` does, without writing projections."""
    started, rejected = time.perf_counter(), 0
    events = generate(seed, people)
    while batch := list(islice(events, MAX_BATCH)):
        rejected += sum(r.status == "rejected" for r in ledger.push(batch, PRINCIPAL).receipts)
    return {"events": head_of(ledger), "rejected": rejected,
            "load_s": time.perf_counter() - started}


def make(ledger: Ledger) -> dict[str, Any]:
    times = []
    while True:
        started = time.perf_counter()
        if timeline.make_snapshot(ledger) is None:
            break
        times.append(time.perf_counter() - started)
    with ledger.engine.connect() as conn:
        sizes = [len(data) for data in conn.execute(
            snapshots.select().with_only_columns(snapshots.c.data)).scalars()]
    return {"snapshots": len(sizes), "make_s": times, "bytes_total": sum(sizes),
            "bytes_largest": max(sizes, default=0)}


def jumps(ledger: Ledger, moments: list[int]) -> dict[str, Any]:
    """Wall-clock and CPU seconds per moment: on a shared machine the CPU time is what
    a jump costs on a core of its own."""
    found: dict[str, list[float]] = {key: [] for key in (
        "cold_s", "cold_cpu_s", "warm_s", "step_s", "step_cpu_s")}
    for seq in moments:
        fresh = Ledger(ledger.engine)  # nothing in memory: as after a restart
        timeline.keep_snapshots(fresh, SECRET, every=timeline._timeline(ledger).every)
        for key, target in (("cold", seq), ("warm", seq), ("step", max(seq - 1, 0))):
            wall, cpu = time.perf_counter(), time.process_time()
            timeline.read_at(fresh, timeline.Moment(target), id)
            found[f"{key}_s"].append(time.perf_counter() - wall)
            if key != "warm":
                found[f"{key}_cpu_s"].append(time.process_time() - cpu)
    return found


def folds(ledger: Ledger, moments: list[int]) -> dict[str, Any]:
    found: dict[str, list[float]] = {"fold_s": [], "fold_cpu_s": []}
    for seq in moments:
        wall, cpu = time.perf_counter(), time.process_time()
        state = OperationState()
        with ledger.engine.connect() as conn:
            for row in ledger_store.fact_rows(conn, upto=seq):
                fold_row(state, row)
        state.settle()
        found["fold_s"].append(time.perf_counter() - wall)
        found["fold_cpu_s"].append(time.process_time() - cpu)
        del state
    return found


def phase(args: argparse.Namespace) -> None:
    config.tune_gc()  # as the server runs
    ledger = ledger_at(Path(args.database), args.every)
    moments = [int(m) for m in args.moments_list.split(",")] if args.moments_list else []
    found = {"load": lambda: load(ledger, args.people[0], args.seed),
             "make": lambda: make(ledger),
             "jumps": lambda: jumps(ledger, moments),
             "folds": lambda: folds(ledger, moments)}[args.phase]()
    print(json.dumps({**found, "peak_mib": peak_mib()}))


def run_phase(name: str, database: Path, args: argparse.Namespace, people: int,
              moments: list[int] | None = None) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.timeline", "--phase", name, "--database",
               str(database), "--people", str(people), "--seed", str(args.seed),
               "--every", str(args.every)]
    if moments:
        command += ["--moments-list", ",".join(map(str, moments))]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return dict(json.loads(out.splitlines()[-1]))


# --- the run and its report ----------------------------------------------------------

def one_size(people: int, directory: Path, args: argparse.Namespace) -> dict[str, Any]:
    database = directory / f"timeline-{people}.db"
    result: dict[str, Any] = {"people": people}
    if not database.exists():
        result["load"] = run_phase("load", database, args, people)
    result["make"] = run_phase("make", database, args, people)
    with connect(str(database)).connect() as conn:
        head = ledger_store.head(conn)[0]
    result["events"] = head
    moments = sorted(random.Random(args.seed).sample(range(1, head + 1), args.moments))
    result["moments"] = moments
    result["jumps"] = run_phase("jumps", database, args, people, moments)
    result["folds"] = run_phase("folds", database, args, people, moments)
    return result


def table(results: list[dict[str, Any]], every: int) -> str:
    lines = [f"snapshots every {every:,} events; times in seconds, median (max) over "
             "the moments", "",
             f"{'people':>8} {'events':>8}  {'measure':<38} {'value':>16} {'baseline':>16} "
             f"{'ratio':>7}"]

    def spread(values: list[float]) -> str:
        return f"{statistics.median(values):.3f} ({max(values):.3f})" if values else "-"

    for r in results:
        jump, base, make = r["jumps"], r["folds"], r["make"]
        speedups = [b / c for b, c in zip(base["fold_s"], jump["cold_s"], strict=True)]
        head = f"{r['people']:>8,} {r['events']:>8,}"
        cpu_speedups = [b / c for b, c in zip(base["fold_cpu_s"], jump["cold_cpu_s"],
                                              strict=True)]
        rows = [
            ("jump, cold (snapshot + fold)", spread(jump["cold_s"]), spread(base["fold_s"]),
             f"{statistics.median(speedups):.1f}x"),
            ("… CPU seconds", spread(jump["cold_cpu_s"]), spread(base["fold_cpu_s"]),
             f"{statistics.median(cpu_speedups):.1f}x"),
            ("jump, warm (same moment again)", spread(jump["warm_s"]), "", ""),
            ("step one event back", spread(jump["step_s"]), "", ""),
            ("… CPU seconds", spread(jump["step_cpu_s"]), "", ""),
            (f"within {TARGET_S:.0f} s (cold, CPU)",
             f"{sum(c <= TARGET_S for c in jump['cold_cpu_s'])} of {len(jump['cold_cpu_s'])}",
             "", ""),
            ("peak memory, MiB (jumps; full folds)", f"{jump['peak_mib']:.0f}",
             f"{base['peak_mib']:.0f}", ""),
            ("snapshots made", f"{make['snapshots']}", "", ""),
            ("time to make one (median, max)", spread(make["make_s"]), "", ""),
            ("largest snapshot, MB", f"{make['bytes_largest'] / 1e6:.1f}", "", ""),
            ("all snapshots on disk, MB", f"{make['bytes_total'] / 1e6:.1f}", "", ""),
        ]
        if "load" in r:
            rows.append(("load (push, no projections), s", f"{r['load']['load_s']:.1f}",
                         "", ""))
            rows.append(("events refused by the push", f"{r['load']['rejected']:,}", "", ""))
        lines += [f"{head}  {m:<38} {v:>16} {b:>16} {x:>7}" for m, v, b, x in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, nargs="+", default=[35_000, 200_000])
    parser.add_argument("--moments", type=int, default=10)
    parser.add_argument("--every", type=int, default=timeline.EVERY)
    parser.add_argument("--seed", type=int, default=2016)
    parser.add_argument("--database", help="a directory to keep the databases in (reused)")
    parser.add_argument("--report", help="print the table of a results file again")
    parser.add_argument("--phase", choices=["load", "make", "jumps", "folds"],
                        help=argparse.SUPPRESS)
    parser.add_argument("--moments-list", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        phase(args)
        return
    if args.report:
        recorded = json.loads(Path(args.report).read_text())
        print(table(recorded["results"], recorded["every"]))
        return
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(args.database or scratch)
        directory.mkdir(parents=True, exist_ok=True)
        results = [one_size(people, directory, args) for people in args.people]
    print(table(results, args.every))
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"timeline-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps({"every": args.every, "results": results}, indent=1))
    print(f"\nwritten to {out}")


if __name__ == "__main__":
    main()
