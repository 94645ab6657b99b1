"""The table of many runs: one row per database and delivery order."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from bench.faults.run import Outcome

COLUMNS: list[tuple[str, Callable[[Outcome], int | float]]] = [
    ("runs", lambda o: 1),
    ("events", lambda o: o.events),
    ("hostile", lambda o: o.hostile),
    ("kills", lambda o: o.tally.kills),
    ("restores", lambda o: o.tally.restores),
    ("lost responses", lambda o: o.tally.lost_responses),
    ("pushed twice", lambda o: o.tally.twice),
    ("5xx", lambda o: o.tally.server_errors),
    ("stuck phones", lambda o: o.tally.stuck),
    ("missing", lambda o: o.findings.missing),
    ("lost", lambda o: o.findings.lost),
    ("duplicated", lambda o: o.findings.duplicated),
    ("verify failures", lambda o: bool(o.findings.verify)),
    ("rebuild ≠ live", lambda o: bool(o.findings.rebuild)),
    ("counts wrong", lambda o: bool(o.findings.counts)),
    ("people", lambda o: o.people),
    ("status mismatches", lambda o: len(o.findings.mismatches)),
    ("runs failing", lambda o: bool(o.failures())),
    ("time (s)", lambda o: o.seconds),
]


def rows(outcomes: list[Outcome]) -> list[list[str]]:
    groups: dict[tuple[str, str], list[Outcome]] = {}
    for outcome in outcomes:
        groups.setdefault((outcome.backend, outcome.plan.order), []).append(outcome)
    table = []
    for (backend, order), group in sorted(groups.items()):
        sums = [sum(measure(o) for o in group) for _, measure in COLUMNS]
        table.append([backend, order] + [f"{s:,.0f}" for s in sums])
    return table


def markdown(outcomes: list[Outcome]) -> str:
    header = ["database", "order"] + [name for name, _ in COLUMNS]
    lines = ["| " + " | ".join(header) + " |",
             "|" + "---|" * 2 + "--:|" * len(COLUMNS)]
    lines += ["| " + " | ".join(row) + " |" for row in rows(outcomes)]
    return "\n".join(lines)


def details(outcomes: list[Outcome], limit: int = 15) -> str:
    """What the status mismatches were, and the failing runs, to reproduce with
    `--seed SEED --runs 1`."""
    kinds = Counter(f"{truth} recorded as {got}" for o in outcomes
                    for _, truth, got in o.findings.mismatches)
    lines = [f"status mismatches: {n:,} {kind}" for kind, n in kinds.most_common()]
    failing = [o for o in outcomes if o.failures()]
    for o in failing[:limit]:
        lines.append(f"seed {o.seed} {o.backend} {o.plan.order}: " + "; ".join(
            f[:160] for f in o.failures()))
    if len(failing) > limit:
        lines.append(f"... and {len(failing) - limit} more failing runs")
    return "\n".join(lines)


def record(outcome: Outcome) -> dict[str, Any]:
    """One run as JSON: its plan, what the phones saw and every failure."""
    tally = {k: v for k, v in asdict(outcome.tally).items() if k not in ("acks", "counts")}
    return {"seed": outcome.seed, "backend": outcome.backend, "plan": asdict(outcome.plan),
            "events": outcome.events, "people": outcome.people, "seconds": outcome.seconds,
            "tally": tally, "findings": asdict(outcome.findings),
            "failures": outcome.failures()}
