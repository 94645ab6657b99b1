"""The evaluation generator, and the index measured on what it generates."""

from __future__ import annotations

import pytest

pytest.importorskip("arabic_name_romanizer", reason="needs the test dependency group")

from bench.matching.evaluation import EvaluationSet, evaluate, generate  # noqa: E402

from corridor.matching import NameIndex, pair_score  # noqa: E402
from corridor.matching.dedupe import find_pairs  # noqa: E402


@pytest.fixture(scope="module")
def data() -> EvaluationSet:
    return generate(seed=2016, identities=20_000, queries=1000)


def test_the_same_seed_gives_the_same_set() -> None:
    one, two = generate(5, 300, 100), generate(5, 300, 100)
    assert one.records == two.records and one.queries == two.queries
    assert one.duplicates == two.duplicates and one.namesakes == two.namesakes
    assert generate(6, 300, 100).records != one.records


def test_labels_hold_together(data: EvaluationSet) -> None:
    assert len(data.records) == 2 * 20_000
    assert data.strata == {"same_script", "cross_script", "common", "rare", "namesake",
                           "partial"}
    for labelled in data.queries:
        assert len(labelled.expected) == 2
        assert len({data.identity_of[p] for p in labelled.expected}) == 1
        assert not labelled.expected & labelled.hard_negatives
    for a, b in data.duplicates:
        assert data.identity_of[a] == data.identity_of[b]
    for a, b in data.namesakes:
        assert data.identity_of[a] != data.identity_of[b]
    scripts = {q.query.name[:1].isascii() for q in data.queries}
    assert scripts == {True, False}


def test_search_quality(data: EvaluationSet) -> None:
    index = NameIndex()
    for record in data.records:
        index.add(record)
    report = evaluate(index, data)
    assert report.recall_at_10 >= 0.95
    assert report.hard_negative_precision >= 0.9
    for stratum in ("cross_script", "namesake", "rare", "common"):
        searches, _, at_10 = report.strata[stratum]
        assert searches >= 50 and at_10 >= 0.95, stratum


def test_duplicates_are_found_and_namesakes_left_apart(data: EvaluationSet) -> None:
    sample = data.records[:8000]  # 4,000 identities, each registered twice
    kept = {r.person_id for r in sample}
    truth = {tuple(sorted(p)) for p in data.duplicates if set(p) <= kept}
    found = {(p.a, p.b) for p in find_pairs(sample)}
    hits = len(found & truth)
    assert hits >= 0.9 * len(truth) and hits >= 0.9 * len(found)
    namesakes = {tuple(sorted(p)) for p in data.namesakes if set(p) <= kept}
    assert len(found & namesakes) <= 0.3 * len(namesakes)
    records = {r.person_id: r for r in sample}
    same = [pair_score(records[a], records[b]).score > 0.5 for a, b in truth]
    assert sum(same) >= 0.9 * len(same)
