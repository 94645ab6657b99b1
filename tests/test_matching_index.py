"""Scoring and the search index: across scripts, namesakes, years, changes."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from corridor.matching import Match, NameIndex, PersonRecord, Query, pair_score, score


def person(person_id: str, given: str, father: str | None, family: str | None,
           sex: str = "male", born: int | None = 1985, origin: str | None = "gp-01",
           household: tuple[str, ...] = ()) -> PersonRecord:
    return PersonRecord(person_id, given, father, family, sex, born, origin, household)


PEOPLE = [
    person("latin", "Mohammed", "Ahmad", "al-Hassan"),
    person("arabic", "محمد", "خالد", "الحسن"),
    person("son", "Abd al-Rahman", "Youssef", "al-Khatib", born=2001, origin="gp-03"),
    person("father", "عبد الرحمن", "محمود", "العلي", born=1968),
    person("older", "عبدالرحمن", "ياسر", "الحلبي", born=1990),
    person("fatima", "فاطمة", "علي", "حلبي", sex="female", born=1992),
]


def index(people: list[PersonRecord] = PEOPLE) -> NameIndex:
    found = NameIndex()
    for record in people:
        found.add(record)
    return found


def ids(matches: list[Match]) -> list[str]:
    return [m.person_id for m in matches]


def test_arabic_search_finds_a_latin_registration_and_the_reverse() -> None:
    people = index()
    assert ids(people.search(Query("محمد أحمد الحسن")))[0] == "latin"
    assert ids(people.search(Query("Mohammed Khaled al-Hassan")))[0] == "arabic"
    assert ids(people.search(Query("Fatima al-Halabi", sex="female")))[0] == "fatima"


def test_every_spelling_of_the_man_finds_both_namesakes() -> None:
    people = index()
    for name in ("محمد الحسن", "Mohammed al-Hassan", "Muhammad Alhasan", "Mhd El Hassan"):
        assert set(ids(people.search(Query(name, born=1985))[:2])) == {"latin", "arabic"}


def test_a_namesake_with_another_father_ranks_below_the_person_and_says_why() -> None:
    found = index().search(Query("Mohammed al-Hassan", father_name="Ahmad", born=1985))
    assert ids(found)[:2] == ["latin", "arabic"]
    right, namesake = found[:2]
    assert "father_name" in right.agreed and "father_name" in namesake.disagreed
    assert {"given_name", "family_name"} <= set(namesake.agreed)
    assert right.score > 0.9 > 0.5 > namesake.score


def test_another_family_name_counts_against() -> None:
    match = score(Query("Fatima Ali al-Khatib"), PEOPLE[5])
    assert "family_name" in match.disagreed and match.score < 0.5


def test_the_mothers_search_finds_her_son_first() -> None:
    found = index().search(Query("Abd al-Rahman", born=2001, tolerance=2))
    assert ids(found)[0] == "son"
    assert "birth_year" in found[0].agreed
    others = {m.person_id: m for m in found[1:]}
    assert "birth_year" in others["older"].disagreed  # 1990: outside 2001 ± 2
    assert "birth_year" in others["father"].disagreed


def test_year_of_birth_outside_the_tolerance_disagrees() -> None:
    near = score(Query("Abd al-Rahman Youssef al-Khatib", born=2003, tolerance=2), PEOPLE[2])
    far = score(Query("Abd al-Rahman Youssef al-Khatib", born=2004, tolerance=2), PEOPLE[2])
    assert "birth_year" in near.agreed and "birth_year" in far.disagreed
    assert near.score > far.score


def test_sex_origin_and_household_are_reasons() -> None:
    record = person("h", "Amal", "Kamal", "Shehabi", sex="female", origin="gp-07",
                    household=("Rami Shehabi", "Lina Shehabi"))
    match = score(Query("Amal Shehabi", sex="female", origin="gp-07",
                        household_names=("رامي شهابي",)), record)
    assert {"sex", "origin", "household"} <= set(match.agreed)
    wrong = score(Query("Amal Shehabi", sex="male", origin="gp-02"), record)
    assert {"sex", "origin"} <= set(wrong.disagreed) and wrong.score < match.score


def test_a_whole_name_in_the_given_field_is_split() -> None:
    record = person("one", "Mohammed Ahmad al-Hassan", None, None)
    match = score(Query("محمد احمد الحسن"), record)
    assert {"given_name", "father_name", "family_name"} <= set(match.agreed)


def test_typos_are_found() -> None:
    people = index()
    assert ids(people.search(Query("Mohanmed Ahmad al-Hasan")))[0] == "latin"
    assert ids(people.search(Query("Abd al-Rahman Yousef al-Khateeb", born=2001)))[0] == "son"


def test_added_people_are_searchable_at_once_and_removed_people_are_gone() -> None:
    people = index()
    assert len(people) == len(PEOPLE)
    query = Query("Yasmin Darwish", sex="female")
    assert "new" not in ids(people.search(query))
    people.add(person("new", "ياسمين", "سمير", "درويش", sex="female", born=2010))
    assert ids(people.search(query))[0] == "new"
    people.add(person("new", "Yasmin", "Samir", "Darwish", sex="female", born=2011))
    assert len(people) == len(PEOPLE) + 1
    assert ids(people.search(Query("ياسمين درويش", born=2011)))[0] == "new"
    people.remove("new")
    people.remove("never-there")
    assert "new" not in ids(people.search(query))
    assert len(people) == len(PEOPLE)


def test_pair_score_tells_a_second_registration_from_a_namesake() -> None:
    again = person("again", "Muhammad", "Ahmed", "Alhasan", born=1986)
    same = pair_score(PEOPLE[0], again)
    namesakes = pair_score(PEOPLE[0], PEOPLE[1])
    assert same.person_id == "again" and same.score > 0.9
    assert "father_name" in namesakes.disagreed and namesakes.score < 0.5


def test_a_father_named_alike_with_another_grandfather_is_another_man() -> None:
    """Cousins: the same given and family name, fathers with one name whose own fathers
    differ ("Mazen Samer", "Mazen Saleh"). Averaged, the two names would half agree."""
    one = person("one", "Hamza", "Mazen Samer", "al-Najjar", born=2013)
    cousin = person("cousin", "Hamza", "Mazen Saleh", "al-Najjar", born=2013)
    again = person("again", "حمزة", "مازن سامر", "النجار", born=2013)
    assert "father_name" in pair_score(one, cousin).disagreed
    assert pair_score(one, cousin).score < 0.5 < 0.9 < pair_score(one, again).score


NAMES = ["Mohammed", "محمد", "Ahmad", "أحمد", "Hassan", "حسن", "Fatima", "فاطمة", "al-Ali",
         "العلي", "Abd al-Rahman", "عبد الرحمن"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["add", "remove"]), st.integers(0, 9),
                          st.sampled_from(NAMES), st.sampled_from(NAMES),
                          st.integers(1980, 1990)), max_size=40))
def test_search_sees_exactly_the_people_present(steps: list[tuple[str, int, str, str, int]],
                                                ) -> None:
    people = NameIndex()
    present: dict[str, PersonRecord] = {}
    for action, number, given_name, family, born in steps:
        person_id = f"p{number}"
        if action == "add":
            present[person_id] = person(person_id, given_name, None, family, born=born)
            people.add(present[person_id])
        else:
            present.pop(person_id, None)
            people.remove(person_id)
    assert len(people) == len(present)
    for record in present.values():
        query = Query(f"{record.given_name} {record.family_name}", born=record.birth_year)
        found = ids(people.search(query, limit=len(present)))
        assert record.person_id in found and set(found) <= set(present)
