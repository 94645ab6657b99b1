"""An in-memory index of person records for name search across scripts and spellings.

Blocking keys are built from token keys (`names.key`, and every other reading of a
token), so Arabic and Latin spellings of a name land in the same blocks:

- pairs of tokens of one person's name (given+family, given+father, father+family, ...),
  in any order: even Muhammad, about one Syrian man in seven, makes small blocks once
  paired with a second name. Each block is kept sorted by year of birth, so a search
  reads only the people born about when it says;
- single tokens of the given or the family name, by year of birth, for a search that
  names only one ("Abd al-Rahman, born about 2001").

A search counts the blocks each person shares with it (double within its years of
birth), weighs the best `CANDIDATES` of them (`records.Scorer`, the weights behind
`records.compare`) and explains the best `limit`. When no one agrees with all it says,
it looks again with the keys one letter away from its own (deletion neighbourhoods, as
in SymSpell), which finds a typo on either side. A person added is searchable at once;
a person removed is taken out of every block at once.

Memory: people are kept as tuples of token numbers, which the garbage collector stops
tracking; a service holding a million people should still `gc.freeze()` after loading
them, so that a collection during a search does not walk its own loaded records.
"""

from __future__ import annotations

import math
import sys
from array import array
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable, Iterator
from functools import lru_cache
from itertools import combinations, permutations

from corridor.matching.names import Token, deletions
from corridor.matching.records import (
    Match,
    Names,
    PersonRecord,
    Profile,
    Query,
    Scorer,
    compare,
    ideal,
    profile,
    wanted,
)

CANDIDATES = 300  # candidates scored per search
LARGE = 4000  # without a year of birth, a block this large is read only if needed
NEAR = 2  # years beyond a search's range still read (both years may be estimates)
FEW = 20  # fewer candidates than this from name pairs: read single names' blocks too
DOUBT = 3.5  # a best match this far below agreeing with everything: look for typos too
_GIVEN, _FATHER, _FAMILY = 0, 1, 2
Numbers = tuple[int, ...]
Packed = tuple[Numbers, Numbers, Numbers, str | None, int | None, str | None, tuple[Numbers, ...]]
_NO_YEAR = 0


def _year_bucket(year: int | None) -> int:
    return _NO_YEAR if year is None else min(max(year - 1900, 1), 255)


class NameIndex:
    """Person records searchable by name in any script, with incremental add/remove."""

    def __init__(self) -> None:
        self._ids: list[str | None] = []  # slot → person_id; None once removed
        # slot → the person's profile with token numbers for tokens: tuples of numbers and
        # strings only, which the garbage collector stops tracking, so that a million
        # people do not make every collection slow.
        self._people: list[Packed | None] = []
        self._tokens: list[Token] = []
        self._token_numbers: dict[str, int] = {}
        self._years = array("h")  # slot → year of birth, -1 when unknown
        self._slots: dict[str, int] = {}
        self._kids: dict[str, int] = {}  # token key → key id
        self._key_names: list[str] = []
        self._neighbours: dict[str, list[int]] = {}  # a key less one letter → key ids
        self._pairs: dict[int, array[int]] = {}
        self._singles: dict[int, array[int]] = {}

    def __len__(self) -> int:
        return len(self._slots)

    # --- keys -------------------------------------------------------------------------

    def _kid(self, key: str) -> int:
        kid = self._kids.get(key)
        if kid is None:
            kid = self._kids[key] = len(self._key_names)
            self._key_names.append(key)
            for shorter in deletions(key):
                self._neighbours.setdefault(shorter, []).append(kid)
        return kid

    def _codes(self, person: Profile, year: int | None) -> tuple[set[int], set[int]]:
        """Pair and single block codes of one person."""
        fields = [(_GIVEN, t) for t in person.given[:2]] + [
            (_FATHER, t) for t in person.father[:2]] + [(_FAMILY, t) for t in person.family[:2]]
        kids = [(field, [self._kid(k) for k in token.keys]) for field, token in fields]
        pairs = {min(a, b) << 32 | max(a, b)
                 for (_, one), (_, two) in combinations(kids, 2) for a in one for b in two}
        bucket = _year_bucket(year)
        singles = {_single(kid, field, bucket) for field, ids in kids if field != _FATHER
                   for kid in ids}
        return pairs, singles

    def _pack(self, person: Profile) -> Packed:
        def numbers(names: Names) -> tuple[int, ...]:
            found = []
            for token in names:
                number = self._token_numbers.get(token.text)
                if number is None:
                    number = self._token_numbers[token.text] = len(self._tokens)
                    self._tokens.append(token)
                found.append(number)
            return tuple(found)

        return (numbers(person.given), numbers(person.father), numbers(person.family),
                person.sex, person.birth_year, person.origin and sys.intern(person.origin),
                tuple(numbers(names) for names in person.household))

    def _profile(self, slot: int) -> Profile:
        packed = self._people[slot]
        assert packed is not None
        given, father, family, sex, year, origin, household = packed
        return Profile(self._names(given), self._names(father), self._names(family), sex, year,
                       origin, tuple(self._names(names) for names in household))

    # --- changes ----------------------------------------------------------------------

    def add(self, record: PersonRecord) -> None:
        """Index `record`, replacing any earlier record with its person_id."""
        if record.person_id in self._slots:
            self.remove(record.person_id)
        person = profile(record)
        slot = len(self._ids)
        self._ids.append(record.person_id)
        self._people.append(self._pack(person))
        born = record.birth_year
        self._years.append(born if born is not None and 0 <= born < 1 << 15 else -1)
        self._slots[record.person_id] = slot
        pairs, singles = self._codes(person, born)
        year_of = self._years.__getitem__
        for code in pairs:  # kept sorted by year of birth, for `_around`
            slots = self._pairs.get(code)
            if slots is None:
                self._pairs[code] = array("i", (slot,))
            else:
                slots.insert(bisect_right(slots, self._years[slot], key=year_of), slot)
        for code in singles:
            _post(self._singles, code, slot)

    def remove(self, person_id: str) -> None:
        """Forget a person; unknown ids are ignored."""
        slot = self._slots.pop(person_id, None)
        if slot is None:
            return
        person = self._profile(slot)
        year = self._years[slot]
        pairs, singles = self._codes(person, None if year < 0 else year)
        for code in pairs:
            _unpost(self._pairs, code, slot)
        for code in singles:
            _unpost(self._singles, code, slot)
        self._ids[slot] = None
        self._people[slot] = None

    # --- search -----------------------------------------------------------------------

    def search(self, query: Query, limit: int = 10) -> list[Match]:
        """The best `limit` matches for `query`, best first."""
        want = wanted(query)
        searched = [*want.names, *want.father]
        if not searched:
            return []
        exact = [self._known(t.keys) for t in searched]
        years = (want.born - want.tolerance, want.born + want.tolerance) if (
            want.born is not None) else None
        totals: dict[int, float] = {}
        scorer = Scorer(want, self._names)
        self._weigh(scorer, self._candidates(exact, exact, years), totals)
        if max(totals.values(), default=-math.inf) < ideal(want) - DOUBT:
            # Nothing agrees with all the search says: look for a typo on either side.
            near = [sorted(self._near(t).difference(ids)) for t, ids in zip(
                searched, exact, strict=True)]
            self._weigh(scorer, self._candidates(exact, near, years, skip=totals,
                                                 most=LARGE // 8), totals)
        best = sorted(totals, key=lambda slot: (-totals[slot], slot))[:limit]
        return [compare(want, self._profile(slot), self._ids[slot] or "") for slot in best]

    def _known(self, keys: Iterable[str]) -> list[int]:
        return [kid for k in keys if (kid := self._kids.get(k)) is not None]

    def _near(self, token: Token) -> set[int]:
        """Key ids one letter away from one of the token's keys (SymSpell)."""
        found: set[int] = set()
        for key in token.keys:
            found.update(self._neighbours.get(key, ()))
            for shorter in deletions(key):
                found.update(self._neighbours.get(shorter, ()))
                if (kid := self._kids.get(shorter)) is not None:
                    found.add(kid)
        return found

    def _candidates(self, exact: list[list[int]], other: list[list[int]],
                    years: tuple[int, int] | None, skip: dict[int, float] | None = None,
                    most: int | None = None) -> list[int]:
        """Slots sharing blocks with the search, ranked as their weights would likely be:
        by the blocks they share, each counting double within the years searched.
        Blocks pair a token's `exact` keys with another token's `other` keys; blocks
        larger than `most` are left out (a typo's block is small: a common name with
        another common name is not a typo)."""
        codes = {min(a, b) << 32 | max(a, b)
                 for i, j in permutations(range(len(exact)), 2)
                 for a in exact[i] for b in other[j]}
        postings = sorted((p for code in codes if (p := self._pairs.get(code)) and (
            most is None or len(p) <= most)), key=len)
        hits: Counter[int] = Counter()
        for posting in postings:
            if years is not None:
                for part in self._around(posting, years):
                    hits.update(part)
            elif len(posting) <= LARGE or len(hits) < CANDIDATES:
                hits.update(posting)
        if len(other) == 1 or len(hits) < FEW:
            # A name given alone, or records with only one of the names searched: the
            # given (or family) name's blocks by year of birth, nearest years first; past
            # the searched range only until there are a few candidates.
            fields = [(_GIVEN, other[0])]
            if len(other) == 1 or not hits:
                fields.append((_FAMILY, other[-1]))
            inside = len(_buckets(years)) if years is None else years[1] - years[0] + 2
            for field, ids in fields:
                for n, bucket in enumerate(_buckets(years)):
                    if len(hits) >= (4 * CANDIDATES if n < inside else FEW):
                        break
                    for kid in ids:
                        for slot in self._singles.get(_single(kid, field, bucket), ()):
                            if slot not in hits:
                                hits[slot] = 0
        for slot in skip or ():
            hits.pop(slot, None)
        return [slot for slot, _ in hits.most_common(CANDIDATES)]

    def _around(self, posting: array[int], years: tuple[int, int]) -> Iterator[array[int]]:
        """The parts of a block (sorted by year of birth) to count: people born in the
        years searched, twice; those without a year, or born up to two years either side
        (both years may be estimates), once."""
        year = self._years.__getitem__
        low, high = years
        unknown = bisect_left(posting, 0, key=year)
        start, stop = bisect_left(posting, low, key=year), bisect_right(posting, high, key=year)
        yield posting[start:stop]
        yield posting[start:stop]
        yield posting[:unknown]
        yield posting[bisect_left(posting, low - NEAR, key=year):start]
        yield posting[stop:bisect_right(posting, high + NEAR, key=year)]

    def _weigh(self, scorer: Scorer[Numbers], slots: list[int], into: dict[int, float]) -> None:
        people = self._people
        for slot in slots:
            packed = people[slot]
            if packed is not None:
                given, father, family, sex, year, origin, household = packed
                into[slot] = scorer.weight(given, father, family, (len(given), len(father)),
                                           sex, year, origin, household)

    def _names(self, numbers: Numbers) -> Names:
        tokens = self._tokens
        return tuple([tokens[n] for n in numbers])


def _single(kid: int, field: int, bucket: int) -> int:
    return (kid * 3 + field) << 8 | bucket


@lru_cache(maxsize=256)
def _buckets(years: tuple[int, int] | None) -> tuple[int, ...]:
    """Year buckets to read: those in the range, then records without a year, then the
    others, nearest first (reading stops once there are candidates enough)."""
    if years is None:
        return tuple(range(256))
    low, high = years
    middle = (low + high) / 2
    inside = sorted({_year_bucket(y) for y in range(low, high + 1)},
                    key=lambda b: abs(b + 1900 - middle))
    outside = sorted(set(range(1, 256)).difference(inside), key=lambda b: abs(b + 1900 - middle))
    return (*inside, _NO_YEAR, *outside)


def _post(postings: dict[int, array[int]], code: int, slot: int) -> None:
    slots = postings.get(code)
    if slots is None:
        postings[code] = array("i", (slot,))
    else:
        slots.append(slot)


def _unpost(postings: dict[int, array[int]], code: int, slot: int) -> None:
    slots = postings.get(code)
    if slots is not None and slot in slots:
        slots.remove(slot)
        if not slots:
            del postings[code]
