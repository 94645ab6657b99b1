"""The results as a Rich table and as Markdown, with the targets beside the figures."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from rich.table import Table

TARGET_PERSONS = 1_000_000  # the targets are stated for a million persons


class Row(NamedTuple):
    task: str
    system: str
    measure: str
    value: float | None
    unit: str
    target: str = ""
    met: bool | None = None  # None: no target for this line


def _at_most(limit: float) -> tuple[str, Callable[[float], bool]]:
    return f"≤ {limit:g}", lambda v: v <= limit


def _at_least(limit: float) -> tuple[str, Callable[[float], bool]]:
    return f"≥ {limit:g}", lambda v: v >= limit


SEARCH = (("p50_ms", "latency p50", "ms", None), ("p99_ms", "latency p99", "ms",
                                                     _at_most(10)),
          ("recall_at_1", "recall@1", "", None),
          ("recall_at_10", "recall@10", "", _at_least(0.95)),
          ("recall_at_10_more", "recall@10, searches naming more than a given name", "",
           None),
          ("recall_at_10_given_only", "recall@10, a given name only (with sex, year)", "",
           None),
          ("hard_negative_precision", "hard-negative precision", "", _at_least(0.9)),
          ("build_s", "index build", "s", None),
          ("memory_mib", "index memory", "MiB", _at_most(2048)))
DEDUPE = (("precision", "precision", "", None), ("recall", "recall", "", None),
          ("f1", "F1", "", _at_least(0.95)), ("seconds", "time", "s", _at_most(120)))
ALIKE = (("searches", "a given name only: searches", "#", None),
         ("median_alike", "a given name only: people agreeing with all asked (median)", "#",
          None),
         ("chance_recall_at_10", "a given name only: recall@10 picking ten of them by lot",
          "", None))
SYSTEMS = {"search_alike": ("search", "the data (no system)"),
           "search_ours": ("search", "NameIndex (ours)"),
           "search_rapidfuzz": ("search", "rapidfuzz brute force"),
           "search_pg_trgm": ("search", "PostgreSQL pg_trgm"),
           "dedupe_ours": ("dedupe", "dedupe.find_pairs (ours)"),
           "dedupe_batch": ("dedupe", "batch.find_duplicates, Splink on keys (ours)"),
           "dedupe_splink_baseline": ("dedupe", "Splink default, raw names")}


def rows(results: dict[str, dict[str, Any]], persons: int) -> list[Row]:
    """Targets apply to our systems; at other sizes than a million they are shown for
    reference and not judged. Dedupe F1 must also beat the Splink baseline's."""
    judged = persons == TARGET_PERSONS
    baseline_f1 = results.get("dedupe_splink_baseline", {}).get("f1")
    out = []
    for name, (task, system) in SYSTEMS.items():
        figures = results.get(name)
        if figures is None:
            continue
        ours = "(ours)" in system
        measures = ALIKE if name == "search_alike" else SEARCH if task == "search" else DEDUPE
        for key, measure, unit, target in measures:
            value = figures.get(key)
            text, met = "", None
            if ours and target is not None:
                text, check = target
                if key == "f1" and baseline_f1 is not None:
                    text += f" and > baseline ({baseline_f1:.3f})"
                if judged and value is not None:
                    met = check(value) and (key != "f1" or baseline_f1 is None
                                            or value > baseline_f1)
            out.append(Row(task, system, measure, value, unit, text, met))
    return out


def _value(row: Row) -> str:
    if row.value is None:
        return "—"
    if row.unit == "":
        return f"{row.value:.3f}"
    if row.unit == "#":
        return f"{row.value:,g}"
    return f"{row.value:,.{2 if row.unit == 'ms' else 1}f} {row.unit}"


def _met(row: Row, bold: Callable[[str], str]) -> str:
    return "—" if row.met is None else ("yes" if row.met else bold("no"))


def table(rows: list[Row], persons: int) -> Table:
    out = Table(title=f"Corridor matching benchmark, {persons:,} persons")
    for column in ("task", "system", "measure", "value", "target", "met"):
        out.add_column(column, justify="right" if column == "value" else "left")
    for row in rows:
        out.add_row(row.task, row.system, row.measure, _value(row), row.target or "—",
                    _met(row, lambda s: f"[bold red]{s}[/]"))
    return out


def markdown(rows: list[Row]) -> str:
    lines = ["| task | system | measure | value | target (1M) | met |",
             "|---|---|---|--:|---|---|"]
    lines += [f"| {r.task} | {r.system} | {r.measure} | {_value(r)} | {r.target or '—'} | "
              f"{_met(r, lambda s: f'**{s}**')} |" for r in rows]
    return "\n".join(lines)
