"""`python -m bench.faults --runs N`: see `--help`."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path

from bench.faults import report
from bench.faults.plan import FAULTS, ORDERS, Plan
from bench.faults.run import Outcome, run, spares

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.faults", description=(
        "Randomized runs of field devices syncing to a real `corridor serve` on 127.0.0.1 "
        "with faults injected, each checked against its invariants."))
    parser.add_argument("--runs", type=int, default=20, help="seeds to run (per database)")
    parser.add_argument("--seed", type=int, default=1, help="the first seed; run i uses "
                        "seed + i, so `--seed S --runs 1` repeats one run")
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"),
                        default="sqlite")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="PostgreSQL URL; each "
                        "run makes schemas of its own there and drops them")
    parser.add_argument("--order", choices=(*ORDERS, "mixed"), default="mixed",
                        help="devices sync as things happen (causal), all but one or two "
                        "that come online later (late), in any order (shuffled), or each "
                        "run draws one (mixed)")
    parser.add_argument("--without", default="", help="faults to leave out, comma-separated: "
                        + ", ".join(FAULTS))
    parser.add_argument("--time-limit", type=float, default=300, help="seconds per run")
    parser.add_argument("--json", type=Path, help="write every run's plan and findings here")
    args = parser.parse_args(argv)
    args.without = frozenset(filter(None, args.without.split(",")))
    if unknown := args.without - set(FAULTS):
        parser.error(f"--without: unknown {', '.join(sorted(unknown))}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    # Stopped with SIGTERM, still stop the server and drop the run's databases.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    backends = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    outcomes: list[Outcome] = []
    for n in range(args.runs):
        seed = args.seed + n
        plan = Plan.draw(seed, args.order, args.without)
        for backend in backends:
            with spares(backend, args.postgres) as spare:
                outcome = run(seed, spare(), spare, plan, args.time_limit)
            outcomes.append(outcome)
            failures = outcome.failures()
            verdict = "ok" if not failures else f"FAILED: {failures[0][:120]}"
            print(f"run {n + 1}/{args.runs} seed {seed} {backend} {plan.order} "
                  f"{outcome.seconds:.1f} s: {verdict}", file=sys.stderr, flush=True)
    print(report.markdown(outcomes))
    print()
    print(report.details(outcomes))
    if args.json:
        args.json.write_text(json.dumps([report.record(o) for o in outcomes], indent=1))
    return 1 if any(o.failures() for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
