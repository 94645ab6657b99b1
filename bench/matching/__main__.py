"""`python -m bench.matching`: search and dedupe against baselines, in one run.

    python -m bench.matching --persons 100000
    python -m bench.matching --persons 1000000
    python -m bench.matching --quick
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import shlex
import subprocess
import sys
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from rich.console import Console

from bench.matching import dedupe, report, search
from bench.matching.evaluation import generate
from bench.matching.measure import alike

REPO = Path(__file__).resolve().parents[2]
RESULTS = REPO / "bench" / "results"
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
console = Console(width=160)


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.matching", description=(
        "Name search (NameIndex vs rapidfuzz vs pg_trgm) and duplicate detection (ours vs "
        "Splink on raw names) on a generated, labelled set."))
    parser.add_argument("--persons", type=int, default=100_000, help="records (each "
                        "generated identity is registered twice)")
    parser.add_argument("--queries", type=int, default=1000, help="searches for NameIndex")
    parser.add_argument("--baseline-queries", type=int, help="searches for rapidfuzz and "
                        "pg_trgm, the first of NameIndex's (default: all up to 200k persons, "
                        "200 above: brute force over a million names takes seconds each)")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="PostgreSQL URL; a "
                        "schema of the benchmark's own is created and dropped there")
    parser.add_argument("--seed", type=int, default=2016)
    parser.add_argument("--skip", action="append", default=[], choices=(
        "rapidfuzz", "pg_trgm", "ours", "batch", "splink_baseline"))
    parser.add_argument("--quick", action="store_true", help="10,000 persons, 200 searches")
    parser.add_argument("--output", type=Path, help="JSON results (default: "
                        "bench/results/matching-<date>.json)")
    args = parser.parse_args(argv)
    if args.quick:
        args.persons, args.queries = min(args.persons, 10_000), min(args.queries, 200)
    if args.baseline_queries is None:
        args.baseline_queries = args.queries if args.persons <= 200_000 else 200
    return args


def stage(name: str, results: dict[str, Any], run: Any) -> Any:
    """Run one stage, log its time, keep its figures (or its error: one failing baseline
    does not lose the others' figures)."""
    console.log(f"{name} …")
    start = time.perf_counter()
    try:
        out = run()
    except Exception as error:  # recorded in the JSON and shown as a blank line
        console.log(f"[red]{name} failed: {error!r}")
        results[name] = {"error": repr(error)}
        return None
    figures = out[0] if isinstance(out, tuple) else out
    results[name] = figures
    console.log(f"{name} done in {time.perf_counter() - start:,.1f} s")
    return out


def machine(postgres: str | None) -> dict[str, Any]:
    free = subprocess.run(["free", "-m"], capture_output=True, text=True).stdout
    packages = {name: metadata.version(name) for name in
                ("splink", "duckdb", "rapidfuzz", "psycopg", "pyspark")}
    return {"cpus": os.cpu_count(), "free_m": free, "platform": platform.platform(),
            "python": sys.version, "postgresql": postgres, "packages": packages}


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    args = parse(argv)
    started = datetime.now(UTC)
    console.log(f"generating {args.persons:,} records")
    start = time.perf_counter()
    data = generate(args.seed, args.persons // 2, queries=args.queries)
    console.log(f"generated in {time.perf_counter() - start:,.1f} s")
    records, asked = data.records, data.queries
    sampled = asked[:args.baseline_queries]
    truth = dedupe.truth_of(data.duplicates)
    results: dict[str, Any] = {}
    stage("search_alike", results, lambda: alike(records, asked, data.identity_of))
    built = stage("search_ours", results, lambda: search.ours(records, asked))
    if "rapidfuzz" not in args.skip:
        stage("search_rapidfuzz", results, lambda: search.rapidfuzz(records, sampled))
    if "pg_trgm" not in args.skip:
        stage("search_pg_trgm", results, lambda: search.pg_trgm(records, sampled,
                                                                 args.postgres))
    del built  # the index: its memory is not the dedupe's
    gc.collect()
    if "ours" not in args.skip:
        stage("dedupe_ours", results, lambda: dedupe.ours(records, truth))
    if "batch" not in args.skip:
        stage("dedupe_batch", results, lambda: dedupe.batch(records, truth))
    if "splink_baseline" not in args.skip:
        stage("dedupe_splink_baseline", results,
              lambda: dedupe.splink_baseline(records, truth))
    rows = report.rows(results, args.persons)
    console.print(report.table(rows, args.persons))
    output = args.output or RESULTS / f"matching-{started:%Y-%m-%d}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps({
        "started_at": started.isoformat(),
        "command": shlex.join(["python", "-m", "bench.matching", *argv]),
        "settings": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "machine": machine(results.get("search_pg_trgm", {}).get("server")),
        "records": len(records), "queries": len(asked), "baseline_queries": len(sampled),
        "true_pairs": len(truth), "results": results,
        "rows": [row._asdict() for row in rows]}, indent=2, ensure_ascii=False))
    console.log(f"results written to {output}")
    print(report.markdown(rows))


if __name__ == "__main__":
    main()
