"""What every stage measures: latencies, ranks, pairs, memory."""

from __future__ import annotations

import gc
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from corridor.matching.evaluation import LabelledQuery


def rss_mib() -> float:
    """Resident set size of this process now, after a collection (so that garbage of an
    earlier stage does not count against the next)."""
    gc.collect()
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise LookupError("no VmRSS in /proc/self/status")


@dataclass(frozen=True, slots=True)
class Searched:
    """One search's answer: person_ids best first, and how long it took."""

    found: tuple[str, ...]
    seconds: float


def search_figures(asked: Sequence[LabelledQuery], answers: Sequence[Searched]
                   ) -> dict[str, float]:
    """recall@1 and @10, hard-negative precision and latency percentiles.

    Hard-negative precision is the core's own definition (corridor.matching.evaluation):
    over searches for a person who has namesakes, of those whose first result is the
    person or one of the namesakes, the share where it is the person."""
    first = top = right = wrong = 0
    for labelled, answer in zip(asked, answers, strict=True):
        hit1 = bool(answer.found) and answer.found[0] in labelled.expected
        first += hit1
        top += any(p in labelled.expected for p in answer.found[:10])
        if labelled.hard_negatives and answer.found:
            right += hit1
            wrong += answer.found[0] in labelled.hard_negatives
    times = sorted(a.seconds for a in answers)
    return {
        "queries": len(asked), "namesake_queries": sum(bool(q.hard_negatives) for q in asked),
        "recall_at_1": first / len(asked), "recall_at_10": top / len(asked),
        "hard_negative_precision": right / (right + wrong) if right + wrong else 1.0,
        "p50_ms": 1000 * statistics.median(times),
        "p99_ms": 1000 * times[min(len(times) - 1, int(len(times) * 0.99))],
    }


def pair_figures(found: set[tuple[str, str]], truth: set[tuple[str, str]]
                 ) -> dict[str, float]:
    """Pairwise precision, recall and F1 of unordered pairs (a < b)."""
    hits = len(found & truth)
    precision = hits / len(found) if found else 0.0
    recall = hits / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
    return {"pairs": len(found), "true_pairs": len(truth), "precision": precision,
            "recall": recall, "f1": f1}


def ordered(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)
