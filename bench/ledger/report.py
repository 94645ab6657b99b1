"""Turning stage results into the table (Rich) and the JSON record."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

PUSH_RATIO = 0.25  # push through the API must reach a quarter of raw insert speed
REBUILD_EPS = 50_000
DEMO_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class Row:
    backend: str
    measure: str
    value: float | None
    unit: str
    baseline: float | None = None
    ratio: float | None = None
    target: str = ""
    met: bool | None = None  # None: no target for this line


def rows_for(backend: str, results: dict[str, dict[str, Any]]) -> list[Row]:
    """The table's lines for one backend, from its stages' results. A stage that failed
    or did not run leaves its figures empty (its error is in the JSON)."""

    def get(stage: str, key: str) -> Any:
        return results.get(stage, {}).get(key)

    def ratio(stage: str, key: str) -> float | None:
        """The stage's figure over the raw insert's, round by round (each round's
        baseline was measured beside it), then the median over the rounds."""
        pairs = zip(results.get(stage, {}).get("rounds", [results.get(stage, {})]),
                    results.get("raw_insert", {}).get("rounds", [results.get("raw_insert", {})]),
                    strict=False)
        ratios = [value[key] / base["raw_eps"] for value, base in pairs
                  if key in value and base.get("raw_eps")]
        return statistics.median(ratios) if ratios else None

    raw = get("raw_insert", "raw_eps")
    push, rebuild, demo_s = get("push", "push_eps"), get("rebuild", "rebuild_eps"), \
        get("demo_load", "load_s")
    push_ratio = ratio("push", "push_eps")
    events = get("push", "events") or get("ledger_push", "events") or 0
    demo = (f"demo load, {get('demo_load', 'people'):,} people "
            f"({get('demo_load', 'events'):,} events)" if demo_s is not None else
            "demo load (did not run)")
    return [
        Row(backend, f"push via API, {events:,} events", push, "events/s", raw, push_ratio,
            f"ratio ≥ {PUSH_RATIO}", push_ratio is not None and push_ratio >= PUSH_RATIO),
        Row(backend, "push via API, until projections written", get("push", "projected_eps"),
            "events/s", raw, ratio("push", "projected_eps")),
        Row(backend, "push via API again, all duplicate", get("push", "duplicate_eps"),
            "events/s", raw, ratio("push", "duplicate_eps")),
        Row(backend, "push in-process (Ledger.push, no HTTP)", get("ledger_push", "push_eps"),
            "events/s", raw, ratio("ledger_push", "push_eps")),
        Row(backend, "push in-process, until projections written",
            get("ledger_push", "projected_eps"), "events/s", raw,
            ratio("ledger_push", "projected_eps")),
        Row(backend, "raw insert, executemany (baseline)", raw, "events/s"),
        Row(backend, "rebuild", rebuild, "events/s", target=f"≥ {REBUILD_EPS:,}",
            met=rebuild is not None and rebuild >= REBUILD_EPS),
        Row(backend, demo, demo_s, "s", target=f"< {DEMO_SECONDS:g} s",
            met=demo_s is not None and demo_s < DEMO_SECONDS),
        Row(backend, "peak RSS, API server during push", get("push", "server_peak_rss_mib"),
            "MiB", baseline=get("push", "server_idle_rss_mib")),
        Row(backend, "peak RSS, rebuild", get("rebuild", "peak_rss_mib"), "MiB",
            baseline=get("rebuild", "start_rss_mib")),
        Row(backend, "peak RSS, demo load", get("demo_load", "peak_rss_mib"), "MiB",
            baseline=get("demo_load", "start_rss_mib")),
    ]


def _number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "—"
    text = f"{value:,.1f}" if unit in ("s", "MiB") else f"{value:,.0f}"
    return f"{text} {unit}".strip()


def table(rows: list[Row]) -> Table:
    """backend, measure, value, baseline, ratio, target, met. For RSS lines the baseline
    is the process's RSS before the stage's work started."""
    out = Table(title="Corridor ledger benchmark")
    for column in ("backend", "measure", "value", "baseline", "ratio", "target", "met"):
        out.add_column(column, justify="right" if column in ("value", "baseline", "ratio")
                       else "left")
    for row in rows:
        met = "—" if row.met is None else ("yes" if row.met else "[bold red]no[/]")
        out.add_row(row.backend, row.measure, _number(row.value, row.unit),
                    _number(row.baseline, row.unit), "—" if row.ratio is None
                    else f"{row.ratio:.2f}", row.target or "—", met)
    return out


def markdown(rows: list[Row]) -> str:
    """The same table as Markdown, for docs/benchmarks.md."""
    lines = ["| backend | measure | value | baseline | ratio | target | met |",
             "|---|---|--:|--:|--:|---|---|"]
    for row in rows:
        met = "—" if row.met is None else ("yes" if row.met else "**no**")
        ratio = "—" if row.ratio is None else f"{row.ratio:.2f}"
        lines.append(f"| {row.backend} | {row.measure} | {_number(row.value, row.unit)} | "
                     f"{_number(row.baseline, row.unit)} | {ratio} | {row.target or '—'} | "
                     f"{met} |")
    return "\n".join(lines)


def machine(versions: dict[str, str]) -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    free = subprocess.run(["free", "-m"], capture_output=True, text=True).stdout
    packages = {name: metadata.version(name) for name in
                ("sqlalchemy", "pydantic", "fastapi", "starlette", "uvicorn", "psycopg", "httpx",
                 "orjson")}
    return {"cpus": os.cpu_count(), "cpu": cpu, "free_m": free, "platform": platform.platform(),
            "python": sys.version, "databases": versions, "packages": packages}


def code_version(repo: Path) -> dict[str, Any]:
    """Which code was measured: the commit and any uncommitted changes under src/
    (read-only git commands)."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=repo, capture_output=True,
                              text=True).stdout.strip()

    return {"commit": git("rev-parse", "HEAD"),
            "uncommitted": git("status", "--porcelain", "--", "src").splitlines()}


def write_json(path: Path, record: dict[str, Any], rows: list[Row]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record | {"rows": [asdict(row) for row in rows]}, indent=2,
                               ensure_ascii=False))


def show(rows: list[Row]) -> None:
    Console(width=160).print(table(rows))
