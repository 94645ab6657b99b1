"""What every stage measures: latencies, ranks, pairs, memory."""

from __future__ import annotations

import gc
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.matching.evaluation import LabelledQuery, share
from corridor.matching.records import PersonRecord, Query, name_tokens


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

    Hard-negative precision is the evaluation's own definition (bench.matching.evaluation):
    over searches for a person who has namesakes, of those whose first result is the
    person or one of the namesakes, the share where it is the person."""
    first = top = right = wrong = 0
    given_only: list[bool] = []
    more: list[bool] = []
    for labelled, answer in zip(asked, answers, strict=True):
        hit1 = bool(answer.found) and answer.found[0] in labelled.expected
        hit10 = any(p in labelled.expected for p in answer.found[:10])
        first += hit1
        top += hit10
        (given_only if "partial" in labelled.strata else more).append(hit10)
        if labelled.hard_negatives and answer.found:
            right += hit1
            wrong += answer.found[0] in labelled.hard_negatives
    times = sorted(a.seconds for a in answers)
    return {
        "queries": len(asked), "namesake_queries": sum(bool(q.hard_negatives) for q in asked),
        "recall_at_1": first / len(asked), "recall_at_10": top / len(asked),
        "recall_at_10_given_only": share(given_only), "recall_at_10_more": share(more),
        "hard_negative_precision": right / (right + wrong) if right + wrong else 1.0,
        "p50_ms": 1000 * statistics.median(times),
        "p99_ms": 1000 * times[min(len(times) - 1, int(len(times) * 0.99))],
    }


def alike(records: Sequence[PersonRecord], asked: Sequence[LabelledQuery],
          identity_of: dict[str, int]) -> dict[str, float]:
    """How many people a search that gives only a given name leaves to choose from: the
    identities with a record that agrees with all it says (the given name's key, sex,
    year of birth within its tolerance, origin; a record silent on one agrees). Among n
    such people, ten picked by lot hold the one sought with chance min(1, 10 / n): the
    search has nothing else to go on but how close each year is. `chance_recall_at_10`
    is that chance's mean over the searches."""
    searches = [q for q in asked if "partial" in q.strata]
    if not searches:
        return {}
    wanted = {given_key(q.query.name) for q in searches}
    by_key: dict[str | None, list[PersonRecord]] = {}
    for record in records:
        if (key := given_key(record.given_name)) in wanted:
            by_key.setdefault(key, []).append(record)
    counts = []
    for labelled in searches:
        query = labelled.query
        counts.append(len({identity_of[r.person_id] for r in by_key.get(
            given_key(query.name), ()) if _agrees(query, r)}))  # a typo may match no one
    return {"searches": len(searches), "median_alike": statistics.median(counts),
            "share_ten_or_fewer": share([n <= 10 for n in counts]),
            "chance_recall_at_10": sum(min(1.0, 10 / max(n, 1)) for n in counts)
            / len(counts)}


def given_key(name: str) -> str | None:
    found = name_tokens(name)
    return found[0].key if found else None


def _agrees(query: Query, record: PersonRecord) -> bool:
    return (not query.sex or record.sex in (query.sex, "unknown")) and (
        query.born is None or record.birth_year is None
        or abs(record.birth_year - query.born) <= query.tolerance) and (
        not query.origin or record.origin in (query.origin, None))


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
