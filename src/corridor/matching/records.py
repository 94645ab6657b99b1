"""Scoring a search, or another record, against a person record, with the reasons.

Evidence is added up the Fellegi–Sunter way, as weights for and against, then squashed
into [0, 1]. Names weigh most; a father's or family name that is present on both sides
and clearly different counts against, so a namesake with another father ranks below the
person sought. A name token in a search is aligned to the record's fields the way Arabic
names are written: given name, father's name, [grandfather's name], family name.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from functools import lru_cache
from typing import Generic, TypeVar

from corridor.matching.names import Token, analyse, similarity, tokens


@dataclass(frozen=True, slots=True)
class PersonRecord:
    person_id: str
    given_name: str
    father_name: str | None
    family_name: str | None
    sex: str  # "female" | "male" | "unknown"
    birth_year: int | None
    origin: str | None  # gathering point id
    household_names: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Query:
    name: str  # any script; full ("Mohammed Ahmad al-Hassan") or partial ("Abd al-Rahman")
    sex: str | None = None
    born: int | None = None
    tolerance: int = 2  # years either side of `born`
    origin: str | None = None
    father_name: str | None = None
    household_names: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Match:
    person_id: str
    score: float  # in [0, 1]
    agreed: tuple[str, ...]  # e.g. ("given_name", "family_name", "birth_year")
    disagreed: tuple[str, ...]  # e.g. ("father_name",)


Names = tuple[Token, ...]

AGREE = 0.8  # token similarity from which two spellings are taken for one name
DISAGREE = 0.7  # below it, two names present on both sides are different names
# Weights of a name field that agrees (times the similarity), is undecided (perhaps a
# typo), disagrees. A different father's or family name weighs most: people know them,
# and namesakes otherwise agree on everything a registrar can see.
_GIVEN, _FATHER, _FAMILY = (4.0, 1.0, 5.0), (3.0, 0.0, 6.0), (3.0, 0.5, 5.0)
_WEIGHTS = (_GIVEN, _FATHER, _FAMILY)
_CENTRE, _SPREAD = 6.0, 1.5  # total weight scored 0.5, and how fast the score turns
_SEXES = ("female", "male")
PAIR_TOLERANCE = 2  # years of birth of two records of one person: each may be a guess


@lru_cache(maxsize=1 << 17)
def name_tokens(text: str | None) -> Names:
    """The analysed tokens of a name (cached: the same names come back all the time)."""
    return tuple(analyse(t) for t in tokens(text)) if text else ()


@dataclass(frozen=True, slots=True)
class Profile:
    """A person record as the scorer reads it: names analysed and split into fields."""

    given: Names
    father: Names
    family: Names
    sex: str | None
    birth_year: int | None
    origin: str | None
    household: tuple[Names, ...]


def profile(record: PersonRecord) -> Profile:
    given = name_tokens(record.given_name)
    father, family = name_tokens(record.father_name), name_tokens(record.family_name)
    if not father and not family and len(given) > 1:
        # A whole name in one field, as imported lists often have it.
        given, father, family = given[:1], given[1:-1], given[-1:]
    return Profile(given, father, family, _sex(record.sex), record.birth_year,
                   _place(record.origin), tuple(name_tokens(n) for n in record.household_names))


def _sex(value: str | None) -> str | None:
    return value if value in _SEXES else None


def _place(value: str | None) -> str | None:
    return value.strip().casefold() or None if value else None


# Which field each token of a searched name stands for, by the number of tokens: g given,
# f father (then grandfather), l family. The best-fitting reading is taken.
_READINGS: dict[int, tuple[str, ...]] = {
    1: ("g", "l"), 2: ("gl", "gf"), 3: ("gfl", "ggl", "gff"), 4: ("gffl", "ggfl"),
}


@dataclass(frozen=True, slots=True)
class Reading:
    """One way to split a searched name into fields."""

    given_count: int
    father_count: int
    given: Names
    father: Names  # with a father's name searched for on its own
    family: Names


@dataclass(frozen=True, slots=True)
class Wanted:
    """A query as the scorer reads it."""

    names: Names
    father: Names
    sex: str | None
    born: int | None
    tolerance: int
    origin: str | None
    household: tuple[Names, ...]
    readings: tuple[Reading, ...]


def wanted(query: Query) -> Wanted:
    names, father = name_tokens(query.name), name_tokens(query.father_name)
    return Wanted(names, father, _sex(query.sex), query.born, query.tolerance,
                  _place(query.origin), tuple(name_tokens(n) for n in query.household_names),
                  _split(names, father))


def _split(names: Names, father: Names) -> tuple[Reading, ...]:
    shapes = _READINGS.get(len(names), ("g" + "f" * (len(names) - 2) + "l",)) if names else ("",)
    if father:  # the father's name was given on its own: the name likely lacks it
        shapes = tuple(r for r in shapes if "f" not in r) or shapes
    return tuple(Reading(
        shape.count("g"), shape.count("f"),
        tuple(t for t, r in zip(names, shape, strict=True) if r == "g"),
        tuple(t for t, r in zip(names, shape, strict=True) if r == "f") + father,
        tuple(t for t, r in zip(names, shape, strict=True) if r == "l")) for shape in shapes)


def _field(query: Names, record: Names) -> float | None:
    """Similarity of a field's tokens, in order (father then grandfather), None when
    either side is silent; a lone token may match the record's second one, less well."""
    if not query or not record:
        return None
    if len(record) == 1 < len(query):  # one name against several: the same either way round
        query, record = record, query
    if len(query) == 1:
        best = similarity(query[0], record[0])
        if len(record) > 1 and best < AGREE:
            best = max(best, 0.9 * similarity(query[0], record[1]))
        return best
    alike = [similarity(a, b) for a, b in zip(query, record, strict=False)]
    # A father named alike with another grandfather is another man: one name plainly
    # different is a different field, however alike the others are.
    return min(alike) if min(alike) < DISAGREE else sum(alike) / len(alike)


def _weigh(value: float | None, weights: tuple[float, float, float]) -> float:
    if value is None:
        return 0.0
    if value >= AGREE:
        return weights[0] * value
    return -weights[2] if value < DISAGREE else weights[1]


Fields = tuple[float | None, float | None, float | None]  # given, father, family
_FIELD_NAMES = ("given_name", "father_name", "family_name")


def _names(want: Wanted, person: Profile) -> tuple[float, Fields]:
    """The best reading of the searched name against the record's name fields. Two given
    names, or a father and a grandfather, are read only where the record has them."""
    best_total = -math.inf
    best_fields: Fields = (None, None, None)
    given_room, father_room = max(1, len(person.given)), max(1, len(person.father))
    for n, reading in enumerate(want.readings):
        if n and (reading.given_count > given_room or reading.father_count > father_room):
            continue
        fields = (_field(reading.given, person.given), _field(reading.father, person.father),
                  _field(reading.family, person.family))
        total = sum(_weigh(value, weights) for value, weights in zip(fields, _WEIGHTS,
                                                                       strict=True))
        if total > best_total:
            best_total, best_fields = total, fields
    return best_total, best_fields


def household_overlap(want: tuple[Names, ...], have: tuple[Names, ...]) -> float | None:
    """How many of the searched household members the record's household names."""
    if not want or not have:
        return None
    return float(sum(1 for names in want if names and any(
        (_field(names[:1], other[:1]) or 0.0) >= AGREE for other in have)))


def _circumstances(want: Wanted | Profile, sex: str | None, year: int | None,
                   origin: str | None, household: tuple[Names, ...], tolerance: int,
                   agreed: list[str], disagreed: list[str]) -> float:
    """Weight of everything but the names: sex, year of birth, origin, household."""
    born = want.born if isinstance(want, Wanted) else want.birth_year
    total = 0.0
    for field, weight, agrees in evidence(
            (want.sex == sex) if want.sex and sex else None,
            abs(born - year) if born is not None and year is not None else None,
            (want.origin == origin) if want.origin is not None and origin is not None else None,
            household_overlap(want.household, household), tolerance):
        total += weight
        (agreed if agrees else disagreed).append(field)
    return total


def evidence(same_sex: bool | None, year_gap: int | None, same_origin: bool | None,
             household: float | None, tolerance: int) -> list[tuple[str, float, bool]]:
    """The weight of each circumstance both sides state (None: one side is silent), and
    whether it agrees: sex, the gap between years of birth, origin, household members
    found."""
    found: list[tuple[str, float, bool]] = []
    if same_sex is not None:
        found.append(("sex", 0.5 if same_sex else -4.0, same_sex))
    if year_gap is not None:
        beyond = year_gap - tolerance
        # Both years may be estimates: a year or two more is a small doubt.
        found.append(("birth_year", 2.0 - 0.4 * year_gap if beyond <= 0 else -0.5 * beyond
                      if beyond <= 2 else -3.0 - 0.2 * min(beyond - 2, 10), beyond <= 0))
    if same_origin is not None:  # weak: people register wherever they reach a team
        found.append(("origin", 1.0 if same_origin else -0.5, same_origin))
    if household is not None:
        found.append(("household", 1.5 * min(household, 2) if household else -0.5,
                      bool(household)))
    return found


def _about(want: Wanted | Profile, person: Profile, tolerance: int, agreed: list[str],
           disagreed: list[str]) -> float:
    return _circumstances(want, person.sex, person.birth_year, person.origin,
                          person.household, tolerance, agreed, disagreed)


def _match(person_id: str, total: float, fields: Fields, agreed: list[str],
           disagreed: list[str]) -> Match:
    pairs = list(zip(_FIELD_NAMES, fields, strict=True))
    names_agreed = [name for name, value in pairs if value is not None and value >= AGREE]
    names_disagreed = [name for name, value in pairs if value is not None and value < DISAGREE]
    return Match(person_id, probability(total), (*names_agreed, *agreed),
                 (*names_disagreed, *disagreed))


def probability(total: float) -> float:
    """A total weight of evidence as a score in [0, 1]."""
    return 1 / (1 + math.exp(-(total - _CENTRE) / _SPREAD))


def weight_for(score: float) -> float:
    """The total weight a score stands for (the inverse of `probability`)."""
    return _CENTRE + _SPREAD * math.log(score / (1 - score))


def most_weight(field: int) -> float:
    """The most one name field (0 given, 1 father's, 2 family) can add to a total."""
    return max(_WEIGHTS[field][0], _WEIGHTS[field][1])


def field_weight(field: int, a: Names, b: Names) -> float:
    """The weight of one name field (0 given, 1 father's, 2 family) of two records."""
    return _weigh(_field(a, b), _WEIGHTS[field])


Fieldkey = TypeVar("Fieldkey", bound=Hashable)


class Scorer(Generic[Fieldkey]):
    """Weighs many records against one search, for ranking: each name field's weight is
    worked out once per distinct field (`resolve` turns the record's own representation
    of a field into tokens), since candidates share their names far more than their
    persons."""

    def __init__(self, want: Wanted, resolve: Callable[[Fieldkey], Names]) -> None:
        self.want = want
        self.resolve = resolve
        self.fields: dict[tuple[int, int, Fieldkey], float] = {}
        self.similar: dict[tuple[Names, Fieldkey], float | None] = {}

    def _field(self, reading: int, field: int, names: Fieldkey) -> float:
        key = (reading, field, names)
        value = self.fields.get(key)
        if value is None:
            chosen = self.want.readings[reading]
            query = (chosen.given, chosen.father, chosen.family)[field]
            alike = self.similar.get((query, names))
            if alike is None:
                alike = self.similar[query, names] = _field(query, self.resolve(names))
            value = self.fields[key] = _weigh(alike, _WEIGHTS[field])
        return value

    def weight(self, given: Fieldkey, father: Fieldkey, family: Fieldkey, sizes: tuple[int, int],
               sex: str | None, year: int | None, origin: str | None,
               household: tuple[Fieldkey, ...]) -> float:
        """The weight of a record's fields (`sizes`: how many given and father's names)."""
        best = -math.inf
        given_room, father_room = max(1, sizes[0]), max(1, sizes[1])
        for n, reading in enumerate(self.want.readings):
            if n and (reading.given_count > given_room or reading.father_count > father_room):
                continue
            best = max(best, self._field(n, 0, given) + self._field(n, 1, father)
                       + self._field(n, 2, family))
        return best + _circumstances(self.want, sex, year, origin, tuple(
            self.resolve(names) for names in household) if self.want.household else (),
            self.want.tolerance, [], [])


def ideal(want: Wanted) -> float:
    """The weight of a record agreeing with everything the search says."""
    first = want.readings[0]
    return _names(want, Profile(first.given, first.father, first.family, None, None, None,
                                ()))[0] + _circumstances(
        want, want.sex, want.born, want.origin, want.household, want.tolerance, [], [])


def compare(want: Wanted, person: Profile, person_id: str) -> Match:
    """Score a search against one analysed record (the index calls this directly)."""
    total, fields = _names(want, person)
    agreed: list[str] = []
    disagreed: list[str] = []
    total += _about(want, person, want.tolerance, agreed, disagreed)
    return _match(person_id, total, fields, agreed, disagreed)


def score(query: Query, record: PersonRecord) -> Match:
    """How well `record` answers `query`, in [0, 1], with the fields that agreed and
    those that disagreed."""
    return compare(wanted(query), profile(record), record.person_id)


def pair_score(a: PersonRecord, b: PersonRecord) -> Match:
    """How likely two records are one person (duplicate registrations); the match
    carries b's person_id."""
    pa, pb = profile(a), profile(b)
    fields = (_field(pa.given, pb.given), _field(pa.father, pb.father),
              _field(pa.family, pb.family))
    total = sum(_weigh(value, weights) for value, weights in zip(fields, _WEIGHTS, strict=True))
    agreed: list[str] = []
    disagreed: list[str] = []
    total += _about(pa, pb, PAIR_TOLERANCE, agreed, disagreed)
    return _match(b.person_id, total, fields, agreed, disagreed)
