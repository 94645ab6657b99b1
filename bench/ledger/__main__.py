"""`python -m bench.ledger`: see `--help`."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import tempfile
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from bench.ledger import report
from bench.ledger.run import (
    REPO,
    Settings,
    console,
    median_of_rounds,
    run_backend,
    write_stream,
)
from bench.ledger.targets import server_version

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
RESULTS = REPO / "bench" / "results"


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.ledger", description=(
        "Push through the HTTP API against a raw-insert baseline, rebuild, demo load and "
        "peak memory, on SQLite and PostgreSQL."))
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--events", type=int, default=100_000, help="events to push")
    parser.add_argument("--batch", type=int, default=500, help="events per push and per "
                        "raw-insert transaction")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="PostgreSQL URL; the "
                        "benchmark creates and drops a schema of its own there")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    parser.add_argument("--stream", choices=("auto", "demo", "synthetic"), default="auto",
                        help="events to push: the demo generator's (auto: when it exists) "
                        "or the built-in synthetic stream")
    parser.add_argument("--people", type=int, default=35_000, help="people in the demo load")
    parser.add_argument("--seed", type=int, default=2016)
    parser.add_argument("--profile", action="store_true", help="profile every stage (py-spy "
                        "on the API server, cProfile elsewhere) into bench/results/; "
                        "timings taken this way are not the benchmark's")
    parser.add_argument("--repeat", type=int, default=1, help="rounds of the push, raw "
                        "insert, rebuild and in-process push stages, on fresh databases; "
                        "each figure is the median over the rounds")
    parser.add_argument("--wait-for-quiet", type=float, metavar="LOAD", help="before each "
                        "stage, wait until the 1-minute load average is below LOAD (a shared "
                        "machine's other work skews wall times)")
    parser.add_argument("--from-json", type=Path, metavar="RESULTS", help="measure nothing: "
                        "print the table of an earlier results file (and refresh its rows)")
    parser.add_argument("--output", type=Path, help="JSON results file "
                        "(default: bench/results/ledger-<date>.json)")
    args = parser.parse_args(argv)
    if args.quick:
        args.events, args.people = min(args.events, 3_000), min(args.people, 1_000)
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse(sys.argv[1:] if argv is None else argv)
    if args.from_json:
        show_again(args.from_json)
        return
    started, code = datetime.now(UTC), report.code_version(REPO)
    stamp = started.strftime("%Y-%m-%d")
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    settings = Settings(backends, args.events, args.batch, args.postgres, args.stream,
                        args.people, args.seed,
                        RESULTS / f"profile-{stamp}" if args.profile else None,
                        args.wait_for_quiet, args.repeat)
    with tempfile.TemporaryDirectory(prefix="corridor-bench-") as scratch:
        console.log(f"generating {args.events:,} events to push")
        events_file, stream_info = write_stream(settings, Path(scratch))
        console.log(f"{stream_info['stream']} stream: {stream_info['types']}")
        results = {backend: run_backend(backend, settings, events_file) for backend in backends}
    rows = [row for backend in backends for row in report.rows_for(backend, results[backend])]
    report.show(rows)
    output = args.output or RESULTS / f"ledger-{stamp}.json"
    versions = {backend: server_version(backend, args.postgres) for backend in backends}
    report.write_json(output, {
        "started_at": started.isoformat(), "command": shlex.join(
            ["python", "-m", "bench.ledger", *(sys.argv[1:] if argv is None else argv)]),
        "settings": {k: str(v) if isinstance(v, Path) else v
                     for k, v in asdict(settings).items()},
        "machine": report.machine(versions), "code": code,
        "stream": stream_info, "results": results}, rows)
    console.log(f"results written to {output}")
    print(report.markdown(rows))


def show_again(path: Path) -> None:
    """The table of an earlier run, from its JSON (after a change to how rows are made)."""
    record = json.loads(path.read_text())
    for results in record["results"].values():
        for stage, figures in results.items():
            if "rounds" in figures:  # medians again, as this version takes them
                results[stage] = median_of_rounds(figures["rounds"])
    rows = [row for backend, results in record["results"].items()
            for row in report.rows_for(backend, results)]
    report.show(rows)
    record.pop("rows", None)
    report.write_json(path, record, rows)
    print(report.markdown(rows))


if __name__ == "__main__":
    main()
