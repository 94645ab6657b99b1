"""One-pass duplicate detection over a whole operation (corridor.matching.dedupe)."""

from __future__ import annotations

import pytest

from corridor.matching import dedupe
from corridor.matching.dedupe import find_pairs
from corridor.matching.records import PersonRecord, pair_score


def person(person_id: str, given: str, father: str | None, family: str | None,
           born: int | None = 1985, sex: str = "male", origin: str | None = "gp-01",
           household: tuple[str, ...] = ()) -> PersonRecord:
    return PersonRecord(person_id, given, father, family, sex, born, origin, household)


def pairs(records: list[PersonRecord], **options: int) -> set[tuple[str, str]]:
    return {(p.a, p.b) for p in find_pairs(records, **options)}


def test_a_person_registered_in_both_scripts_is_one_pair_with_its_reasons() -> None:
    records = [person("a1", "Mohammed", "Ahmad", "al-Hassan"),
               person("a2", "محمد", "أحمد", "الحسن", born=1986, origin="gp-04"),
               person("b1", "Fatima", "Ali", "Halabi", sex="female", born=1990)]
    found = find_pairs(records)
    assert [(p.a, p.b) for p in found] == [("a1", "a2")]
    assert found[0].probability == pytest.approx(pair_score(records[0], records[1]).score)
    assert {"given_name", "father_name", "family_name", "birth_year"} <= set(found[0].agreed)
    assert "origin" in found[0].disagreed


def test_a_typo_in_the_given_name_is_still_paired() -> None:
    assert pairs([person("x", "Ibrahim", "Sami", "Shamoun"),
                  person("y", "إقراهيم", None, "شمعون")]) == {("x", "y")}


def test_a_namesake_with_another_father_is_not_a_duplicate() -> None:
    assert pairs([person("x", "Mohammed", "Ahmad", "al-Hassan"),
                  person("y", "Mohammed", "Khaled", "al-Hassan")]) == set()


def test_a_record_without_a_father_joins_only_the_closer_of_two_namesakes() -> None:
    """Without the father's name it fits both men; they are plainly two people, so only
    its stronger link (same year and place) is kept."""
    records = [person("alone", "Omar", None, "Khatib", born=1990),
               person("omar-1", "Omar", "Yusuf", "al-Khatib", born=1990),
               person("omar-2", "عمر", "خالد", "الخطيب", born=1992, origin="gp-02")]
    assert pair_score(records[0], records[2]).score >= dedupe.THRESHOLD
    assert pairs(records) == {("alone", "omar-1")}


def test_a_whole_name_in_the_given_name_field_is_split_as_the_scorer_reads_it() -> None:
    assert pairs([person("list", "Abd al-Rahman Youssef al-Khatib", None, None),
                  person("desk", "عبد الرحمن", "يوسف", "الخطيب")]) == {("desk", "list")}


def test_household_members_weigh_in() -> None:
    alike = [person("a", "Ali", None, "Saleh", born=None, origin=None, household=("Mona",)),
             person("b", "علي", None, "صالح", born=None, origin=None, household=("منى",))]
    apart = [alike[0], person("b", "علي", None, "صالح", born=None, origin=None,
                              household=("Rasha",))]
    (same,) = find_pairs(alike)
    assert "household" in same.agreed
    assert not find_pairs(apart) or find_pairs(apart)[0].probability < same.probability


def test_large_blocks_pair_only_people_born_about_the_same_year() -> None:
    many = [person(f"m{n:03d}", "Mohammed", None, "al-Masri", born=1940 + n % 60)
            for n in range(2 * dedupe.BLOCK)]
    found = find_pairs(many)
    years = {r.person_id: r.birth_year for r in many}
    assert found and all(abs((years[p.a] or 0) - (years[p.b] or 0)) <= dedupe.YEARS
                         for p in found)


def test_a_record_without_a_year_in_a_large_block_is_still_paired() -> None:
    """A large block pairs people born about the same year; a record without a year
    could be any of them, so it is paired with every member."""
    many = [person(f"m{n:03d}", "Mohammed", None, "al-Masri", born=1940 + n % 60)
            for n in range(2 * dedupe.BLOCK)]
    undated = [person("undated-1", "Mohammed", None, "al-Masri", born=None, origin="gp-99"),
               person("undated-2", "محمد", None, "المصري", born=1950, origin="gp-99")]
    assert ("undated-1", "undated-2") in pairs([*many, *undated])


def test_a_third_registration_needs_more_than_a_likely_pair() -> None:
    """Two desks registered Khalil; a third record that only likely is him (no father's
    name, another year and place) is a namesake more often than a third registration."""
    khalil = [person("k1", "Khalil", "Ahmad", "Haddad", born=1970),
              person("k2", "خليل", "أحمد", "الحداد", born=1970)]
    maybe = person("k3", "Khalil", None, "Haddad", born=1972, origin="gp-03")
    assert pair_score(khalil[0], maybe).score >= dedupe.THRESHOLD
    assert pairs([*khalil, maybe]) == {("k1", "k2")}
    thrice = [*khalil, person("k3", "Khalil", "Ahmad", "Haddad", born=1970)]
    assert pairs(thrice) == {("k1", "k2"), ("k1", "k3"), ("k2", "k3")}


def test_weights_are_exact_for_every_pair_that_can_reach_the_floor() -> None:
    records = [person(f"p{n}", given, father, family, born=1960 + n % 9,
                      sex=("male", "female", "unknown")[n % 3], origin=f"gp-{n % 4}")
               for n, (given, father, family) in enumerate(
                   (g, f, s) for g in ("Mohammed", "محمد", "Ahmad", "Hasan", "Huda")
                   for f in ("Ali", "علي", None, "Khaled")
                   for s in ("al-Hassan", "Halabi", "حلبي", None))]
    table = dedupe._Table(records)
    left, right = table.candidates()
    floor = dedupe.weight_for(dedupe.THRESHOLD)
    full = table.weights(left, right, -float("inf"))
    pruned = table.weights(left, right, floor)
    reaches = full >= floor
    assert reaches.any() and (~reaches).any()
    assert pruned[reaches] == pytest.approx(full[reaches])
    assert (pruned[~reaches] < floor).all()


def test_forked_workers_give_the_same_pairs(monkeypatch: pytest.MonkeyPatch) -> None:
    records = [person(f"p{n}", given, "Ahmad", family, born=1980 + n % 7)
               for n, (given, family) in enumerate(
                   (g, f) for g in ("Mohammed", "محمد", "Mahmoud", "Ahmad", "Hassan")
                   for f in ("al-Hassan", "الحسن", "Halabi", "حلبي", "Khatib"))]
    one = find_pairs(records)
    monkeypatch.setattr(dedupe, "PARALLEL_FROM", 1)
    assert find_pairs(records, workers=2) == one and one


def test_nothing_to_pair() -> None:
    assert find_pairs([]) == []
    assert find_pairs([person("only", "Amal", None, None)]) == []
