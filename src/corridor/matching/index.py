"""An in-memory index of person records for name search across scripts and spellings.

Blocking keys are built from token keys (`names.key`, and every other reading of a
token), so Arabic and Latin spellings of a name land in the same blocks:

- pairs of tokens of one person's name (given+family, given+father, father+family, ...),
  in any order: even Muhammad, about one Syrian man in seven, makes small blocks once
  paired with a second name;
- single tokens of the given or the family name, by year of birth, for a search that
  names only one ("Abd al-Rahman, born about 2001").

A search looks up the blocks of its own tokens, ranks what it finds by how many blocks
it shares and how close the year of birth is, and scores a bounded number of candidates
(`records.compare`). When that finds no convincing match it looks again with the keys
one letter away from its own (deletion neighbourhoods, as in SymSpell), which finds
typos on either side. Postings are arrays of slot numbers; a removed person's slot is
taken out of its postings at once, so a search never sees them.
"""

from __future__ import annotations

import heapq
import math
from array import array
from collections.abc import Iterable, Iterator
from itertools import combinations, permutations

from corridor.matching.names import Token
from corridor.matching.records import (
    Match,
    PersonRecord,
    Profile,
    Query,
    Wanted,
    compare,
    ideal,
    profile,
    wanted,
    weight,
)

CANDIDATES = 300  # candidates scored per search
LARGE = 4000  # a block larger than this is read only for the right years of birth
BLOCK = 60  # candidate_pairs: a block this large is paired only within years of birth
DOUBT = 3.5  # a best match this far below agreeing with everything: look for typos too
_GIVEN, _FATHER, _FAMILY = 0, 1, 2
_NO_YEAR = 0


def _year_bucket(year: int | None) -> int:
    return _NO_YEAR if year is None else min(max(year - 1900, 1), 255)


def _deletions(key: str) -> set[str]:
    return {key[:i] + key[i + 1:] for i in range(len(key))} if len(key) >= 3 else set()


class NameIndex:
    """Person records searchable by name in any script, with incremental add/remove."""

    def __init__(self) -> None:
        self._ids: list[str | None] = []  # slot → person_id; None once removed
        self._profiles: list[Profile | None] = []
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
            for shorter in _deletions(key):
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

    # --- changes ----------------------------------------------------------------------

    def add(self, record: PersonRecord) -> None:
        """Index `record`, replacing any earlier record with its person_id."""
        if record.person_id in self._slots:
            self.remove(record.person_id)
        person = profile(record)
        slot = len(self._ids)
        self._ids.append(record.person_id)
        self._profiles.append(person)
        self._years.append(-1 if record.birth_year is None else record.birth_year)
        self._slots[record.person_id] = slot
        pairs, singles = self._codes(person, record.birth_year)
        for code in pairs:
            _post(self._pairs, code, slot)
        for code in singles:
            _post(self._singles, code, slot)

    def remove(self, person_id: str) -> None:
        """Forget a person; unknown ids are ignored."""
        slot = self._slots.pop(person_id, None)
        if slot is None:
            return
        person = self._profiles[slot]
        assert person is not None
        year = self._years[slot]
        pairs, singles = self._codes(person, None if year < 0 else year)
        for code in pairs:
            _unpost(self._pairs, code, slot)
        for code in singles:
            _unpost(self._singles, code, slot)
        self._ids[slot] = None
        self._profiles[slot] = None

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
        self._weigh(want, self._candidates(exact, exact, years), totals)
        if max(totals.values(), default=-math.inf) < ideal(want) - DOUBT:
            # Nothing agrees with all the search says: look for a typo on either side.
            near = [sorted(self._near(t).difference(ids)) for t, ids in zip(
                searched, exact, strict=True)]
            self._weigh(want, self._candidates(exact, near, years, skip=totals), totals)
        best = sorted(totals, key=lambda slot: (-totals[slot], slot))[:limit]
        return [compare(want, self._profiles[slot], self._ids[slot])  # type: ignore[arg-type]
                for slot in best]

    def _known(self, keys: Iterable[str]) -> list[int]:
        return [kid for k in keys if (kid := self._kids.get(k)) is not None]

    def _near(self, token: Token) -> set[int]:
        """Key ids one letter away from one of the token's keys (SymSpell)."""
        found: set[int] = set()
        for key in token.keys:
            found.update(self._neighbours.get(key, ()))
            for shorter in _deletions(key):
                found.update(self._neighbours.get(shorter, ()))
                if (kid := self._kids.get(shorter)) is not None:
                    found.add(kid)
        return found

    def _candidates(self, exact: list[list[int]], other: list[list[int]],
                    years: tuple[int, int] | None, skip: dict[int, float] | None = None,
                    ) -> list[int]:
        """Slots sharing blocks with the search, those sharing more and smaller blocks
        first. Blocks pair a token's `exact` keys with another token's `other` keys."""
        codes = {min(a, b) << 32 | max(a, b)
                 for i, j in permutations(range(len(exact)), 2)
                 for a in exact[i] for b in other[j]}
        postings = sorted((p for code in codes if (p := self._pairs.get(code))), key=len)
        hits: dict[int, int] = {}
        for posting in postings:
            slots: Iterable[int] = posting
            if len(posting) > LARGE:
                if len(hits) >= CANDIDATES:
                    break
                slots = self._born(posting, years)
            for slot in slots:
                hits[slot] = hits.get(slot, 0) + 1
        if len(hits) < CANDIDATES // 2:  # a name alone, or a record with one name only
            fields = [(_GIVEN, other[0])]
            if len(other) == 1 or not hits:
                fields.append((_FAMILY, other[-1]))
            for field, ids in fields:
                for bucket in _buckets(years):
                    for kid in ids:
                        for slot in self._singles.get(_single(kid, field, bucket), ()):
                            hits.setdefault(slot, 0)
                    if len(hits) >= 4 * CANDIDATES:
                        break
        if skip:
            hits = {slot: n for slot, n in hits.items() if slot not in skip}
        if len(hits) <= CANDIDATES:
            return list(hits)
        # Rank as the weights would: each shared block is two names agreeing, and a year
        # of birth within the search's range outweighs a third name agreeing.
        ages = self._years
        if years is None:
            return heapq.nlargest(CANDIDATES, hits, key=hits.__getitem__)
        low, high = years
        return heapq.nlargest(CANDIDATES, hits, key=lambda s: 2 * hits[s] + (
            0 if ages[s] < 0 else 3 if low <= ages[s] <= high else 1 if (
                low - 2 <= ages[s] <= high + 2) else -1))

    def _born(self, slots: array[int], years: tuple[int, int] | None) -> Iterable[int]:
        if years is None:
            return slots
        low, high = years
        ages = self._years
        return [s for s in slots if low <= ages[s] <= high or ages[s] < 0]

    def _weigh(self, want: Wanted, slots: list[int], into: dict[int, float]) -> None:
        profiles = self._profiles
        for slot in slots:
            person = profiles[slot]
            if person is not None:
                into[slot] = weight(want, person)

    # --- duplicates -------------------------------------------------------------------

    def candidate_pairs(self) -> Iterator[tuple[str, str]]:
        """Pairs of person_ids that share a pair block: candidates for duplicate detection.
        Each pair comes once; a large block pairs only people born within two years of
        each other, and a year group still too large for that is left out."""
        for code, slots in self._pairs.items():
            if len(slots) < 2:
                continue
            for a, b in self._block_pairs(slots):
                if self._first_code(a, b) == code:
                    ida, idb = self._ids[a], self._ids[b]
                    if ida is not None and idb is not None:
                        yield ida, idb

    def _block_pairs(self, slots: array[int]) -> Iterator[tuple[int, int]]:
        if len(slots) <= BLOCK:
            yield from combinations(slots, 2)
            return
        by_year: dict[int, list[int]] = {}
        for slot in slots:
            by_year.setdefault(self._years[slot], []).append(slot)
        for year, group in by_year.items():
            later = [s for y in (year + 1, year + 2) for s in by_year.get(y, ())]
            if year < 0 or len(group) + len(later) > BLOCK:
                continue
            yield from combinations(group, 2)
            yield from ((a, b) for a in group for b in later)

    def _first_code(self, a: int, b: int) -> int:
        """The smallest pair block two people share, so each pair is yielded once."""
        pa, pb = self._profiles[a], self._profiles[b]
        assert pa is not None and pb is not None
        ya, yb = self._years[a], self._years[b]
        shared = self._codes(pa, None if ya < 0 else ya)[0] & self._codes(
            pb, None if yb < 0 else yb)[0]
        return min(shared)


def _single(kid: int, field: int, bucket: int) -> int:
    return (kid * 3 + field) << 8 | bucket


def _buckets(years: tuple[int, int] | None) -> list[int]:
    """Year buckets to read, closest first; records without a year always qualify."""
    if years is None:
        return list(range(256))
    low, high = years
    middle = (low + high) // 2
    order = sorted(range(low, high + 1), key=lambda y: abs(y - middle))
    return [_year_bucket(y) for y in order] + [_NO_YEAR]


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
