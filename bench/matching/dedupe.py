"""Duplicate detection: Corridor's one-pass scorer (corridor.matching.dedupe), our Splink
model on name keys (corridor.matching.batch), and Splink configured the usual way on the
raw names (the baseline)."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from typing import Any

from bench.matching.measure import ordered, pair_figures
from corridor.matching.batch import find_duplicates
from corridor.matching.dedupe import find_pairs
from corridor.matching.records import PersonRecord

BASELINE_THRESHOLD = 0.9  # the usual Splink cut


def truth_of(duplicates: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
    return {ordered(a, b) for a, b in duplicates}


def ours(records: Sequence[PersonRecord], truth: set[tuple[str, str]]) -> dict[str, Any]:
    """corridor.matching.dedupe.find_pairs from records in memory to pairs out, on every
    core of the machine."""
    workers = os.cpu_count() or 1
    start = time.perf_counter()
    found = {(p.a, p.b) for p in find_pairs(records, workers=workers)}
    return pair_figures(found, truth) | {"seconds": time.perf_counter() - start,
                                         "workers": workers}


def batch(records: Sequence[PersonRecord], truth: set[tuple[str, str]]) -> dict[str, Any]:
    start = time.perf_counter()
    found = {(p.a, p.b) for p in find_duplicates(records)}
    return pair_figures(found, truth) | {"seconds": time.perf_counter() - start}


def splink_baseline(records: Sequence[PersonRecord], truth: set[tuple[str, str]]
                    ) -> dict[str, Any]:
    """Splink as its tutorials set it up, on the names as registered: NameComparison on
    each name field, exact year, sex and place, blocking on given+family name and on
    family name+year, u by random sampling, m by EM."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    start = time.perf_counter()
    rows = [{"unique_id": r.person_id, "given_name": r.given_name,
             "father_name": r.father_name, "family_name": r.family_name,
             "birth_year": r.birth_year, "sex": r.sex, "origin": r.origin} for r in records]
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[cl.NameComparison("given_name"), cl.NameComparison("father_name"),
                     cl.NameComparison("family_name"), cl.ExactMatch("birth_year"),
                     cl.ExactMatch("sex"), cl.ExactMatch("origin")],
        blocking_rules_to_generate_predictions=[block_on("given_name", "family_name"),
                                                block_on("family_name", "birth_year")])
    db_api = DuckDBAPI()
    linker = Linker(db_api.register(rows), settings, log_level=logging.ERROR)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("given_name", "father_name", "family_name")], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("given_name", "family_name"))
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("family_name", "birth_year"))
    predictions = linker.inference.predict(threshold_match_probability=BASELINE_THRESHOLD)
    found = {ordered(str(r["unique_id_l"]), str(r["unique_id_r"]))
             for r in predictions.as_record_list()}
    return pair_figures(found, truth) | {"seconds": time.perf_counter() - start}
