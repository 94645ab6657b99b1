"""Duplicate detection over a whole operation in one pass, with the search's own scorer.

Every record is compared with the others that share two name keys with it (given and
family, father's and family, or given and father's name); a common pair of names is
split by the third name, or by the year of birth where a record lacks the third. Each
pair is weighed exactly as `records.pair_score` weighs it. What makes a million records
take a minute instead of an hour is that the weights are worked out once per distinct
combination, not once per pair: two records' given names are a pair of spellings that
thousands of other pairs share (Muhammad against Mohammed), and sex, the gap between
years of birth and origin take a few hundred combinations in all; and a name field is
weighed only for pairs that can still reach the threshold. The pairs live in numpy
arrays.

A pair that is likely on its own can still be explained away, the way a reviewer joins
records into people, strongest link first: a link that would make one person of two
records that clearly are not one person (a registration without a father's name,
against a man and his namesake with another father) is dropped, and so is a link that
would make a third registration of a person on evidence only a little above the
threshold. That is the reviewer's own reasoning, done before the queue.

`corridor.matching.batch` is the other way to the same end: Splink's model, trained
without labels, on DuckDB or Spark, for registries larger than one machine's memory.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, replace
from itertools import product
from typing import Any

import numpy as np
import numpy.typing as npt

from corridor.matching.names import deletions
from corridor.matching.records import (
    PAIR_TOLERANCE,
    Names,
    PersonRecord,
    evidence,
    field_weight,
    household_overlap,
    most_weight,
    name_tokens,
    pair_score,
    weight_for,
)

THRESHOLD = 0.5  # pair_score's midpoint: the evidence for and against balance there
CONFLICT = 0.1  # two records scoring below this are taken to be two people
THIRD = 6.0  # extra weight a third registration of one person needs: see `_explain_away`
BLOCK = 50  # a block larger than this is a common name: see `_Table.candidates`
PARALLEL_FROM = 50_000  # fewer pieces of work than this are done in this process
YEARS = 2  # in a large block: born at most this many years apart
#: Blocks: the (field, keys) two records must share to be compared. Fields are 0 given,
#: 1 father's, 2 family name; "keys" are every reading of the field, "first" its main
#: key, "near" that key and the key less one letter (so two keys an edit apart meet).
TWO_NAMES = (((0, "keys"), (2, "keys")), ((1, "keys"), (2, "keys")), ((0, "keys"), (1, "keys")),
             ((0, "near"), (2, "first")), ((0, "first"), (2, "near")))
EXACT = 3  # the first three of TWO_NAMES pair names that agree; the others, near names
LEFT_OUT = (1, 0, 2)  # the field each of those three leaves out
#: A common pair of names is split by the third name, one of the three an edit apart.
THREE_NAMES = (((0, "near"), (1, "first"), (2, "first")),
               ((0, "first"), (1, "near"), (2, "first")),
               ((0, "first"), (1, "first"), (2, "near")))
_SEXES = {"female": 1, "male": 2}
_APART = frozenset({"given_name", "father_name", "family_name", "sex"})
_NO_YEAR = -(1 << 15)
Ints = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class DuplicatePair:
    """Two records that are probably one person; `a < b` so a pair has one spelling."""

    a: str
    b: str
    probability: float
    agreed: tuple[str, ...]
    disagreed: tuple[str, ...]


def find_pairs(records: Iterable[PersonRecord], threshold: float = THRESHOLD,
               workers: int = 1) -> list[DuplicatePair]:
    """Pairs of records that are probably one person, most probable first.

    workers: processes to weigh pairs in (forked: for command-line and batch use, not
    inside a server with threads)."""
    records = list(records)
    if len(records) < 2:
        return []
    table = _Table(records)
    left, right = table.candidates()
    floor = weight_for(threshold)
    total = table.weights(left, right, floor, workers)
    likely = total >= floor
    left, right, total = left[likely], right[likely], total[likely]
    kept = _explain_away(table.records, left, right, total)
    people = table.records
    pairs = _spread(lambda a, b: _pair(people[a], people[b]), list(zip(
        left[kept].tolist(), right[kept].tolist(), strict=True)), workers)
    return sorted(pairs, key=lambda p: (-p.probability, p.a, p.b))


class _Interned:
    """Distinct values numbered in order of first sight, so arrays can hold them."""

    def __init__(self) -> None:
        self.numbers: dict[Hashable, int] = {}
        self.values: list[object] = []

    def __call__(self, key: Hashable, value: object = None) -> int:
        number = self.numbers.get(key)
        if number is None:
            number = self.numbers[key] = len(self.values)
            self.values.append(value)
        return number


class _Lists:
    """A list of numbers for each of many items, in two flat arrays (like CSR rows)."""

    def __init__(self, lists: Sequence[Sequence[int]]) -> None:
        self.lengths = np.array([len(x) for x in lists], dtype=np.int64)
        self.offsets = np.cumsum(self.lengths) - self.lengths
        self.flat = np.array([n for x in lists for n in x], dtype=np.int64)

    def explode(self, rows: Ints, items: Ints) -> tuple[Ints, Ints]:
        """For each row, one (row, number) per number in the list of its item
        (`items` has one item per row)."""
        lengths = self.lengths[items]
        out = np.repeat(rows, lengths)
        within = np.arange(len(out)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        return out, self.flat[np.repeat(self.offsets[items], lengths) + within]


class _Field:
    """One name field (given, father's or family name) of every record: each distinct
    spelling analysed once, numbered by its tokens, with its block keys."""

    def __init__(self, texts: Sequence[str | None], keys: _Interned, first_only: bool) -> None:
        spellings = _Interned()
        numbers = np.array([spellings(text) for text in texts], dtype=np.int64)
        tokens = _Interned()
        analysed = [name_tokens(text) for text in spellings.numbers]
        self.names = np.array([tokens(tuple(t.text for t in names), names) if names else -1
                               for names in analysed], dtype=np.int64)[numbers]
        self.values = tokens.values
        readings = [_readings(names, first_only) for names in analysed]
        self.keys = _Lists([[keys(k) for k in found] for found in readings])
        self.first = _Lists([[keys(found[0])] if found else [] for found in readings])
        self.near = _Lists([[keys(k) for k in _near(found[0])] if found else []
                            for found in readings])
        self.spelling = numbers


def _readings(names: Names, first_only: bool) -> list[str]:
    """Block keys of a field: every reading of its first name (given, father), or of all
    its names run together (family: "Abu al-Wafa" is one family name however spaced)."""
    if not names:
        return []
    if first_only:
        return list(names[0].keys)
    return ["".join(parts) for parts in product(*(t.keys[:2] for t in names))]


def _near(key: str) -> list[str]:
    """The key and its deletions: two keys an edit apart share one of these."""
    return [key, *deletions(key)]


class _Table:
    """The records as columns: name fields, sex, year, origin, and the blocks."""

    def __init__(self, records: list[PersonRecord]) -> None:
        self.records = records = [_split(record) for record in records]
        keys = _Interned()
        self.fields = (_Field([r.given_name for r in records], keys, True),
                       _Field([r.father_name for r in records], keys, True),
                       _Field([r.family_name for r in records], keys, False))
        self.sex = np.array([_SEXES.get(r.sex, 0) for r in records], dtype=np.int64)
        self.year = np.array([_NO_YEAR if r.birth_year is None else r.birth_year
                              for r in records], dtype=np.int64)
        origins = _Interned()
        self.origin = np.array([-1 if r.origin is None else origins(r.origin.strip().casefold())
                                for r in records], dtype=np.int64)
        self.household = {n: tuple(name_tokens(h) for h in r.household_names)
                          for n, r in enumerate(records) if r.household_names}
        self.keys = len(keys.values)

    def _blocks(self, kinds: Sequence[Sequence[tuple[int, str]]]) -> list[tuple[Ints, Ints]]:
        """(block, record) for each kind of block: a record is in one block for each
        combination of its fields' keys the kind names."""
        found: list[tuple[Ints, Ints]] = []
        for items in kinds:
            owners = np.arange(len(self.records), dtype=np.int64)
            code = np.zeros(len(owners), dtype=np.int64)
            for number, which in items:
                field = self.fields[number]
                at, key = getattr(field, which).explode(np.arange(len(owners)),
                                                        field.spelling[owners])
                owners, code = owners[at], code[at] * self.keys + key
                code = np.unique(code, return_inverse=True)[1].ravel()  # small numbers again
            found.append((code, owners))
        return found

    def candidates(self) -> tuple[Ints, Ints]:
        """Each pair of records sharing a block, once, the lower record first.

        A block of two names larger than BLOCK is a common name, not a typo: it pairs
        only a record without the third name (as it pairs everyone when it is small) with
        those born about the same year; the others are paired by blocks of all three
        names, and in a large one of those too, only people born about the same year. A
        record without a year is paired with every member: it could be any of them."""
        found: list[tuple[Ints, Ints]] = []
        for kind, (block, record) in enumerate(self._blocks(TWO_NAMES)):
            members, starts, sizes = _groups(block, record, self.year)
            found.extend(_all_pairs(members, starts, sizes))
            if kind >= EXACT:
                continue
            silent = self.fields[LEFT_OUT[kind]].names < 0
            found.extend(_large_blocks(members, starts, sizes, self.year, silent))
        for block, record in self._blocks(THREE_NAMES):
            members, starts, sizes = _groups(block, record, self.year)
            found.extend(_all_pairs(members, starts, sizes))
            found.extend(_large_blocks(members, starts, sizes, self.year))
        if not found:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        a = np.concatenate([pair[0] for pair in found])
        b = np.concatenate([pair[1] for pair in found])
        count = np.int64(len(self.records))
        codes = np.sort(np.minimum(a, b) * count + np.maximum(a, b))
        # Sorted, then each code once (numpy's np.unique hashes, which is slower here).
        codes = codes[np.r_[True, codes[1:] != codes[:-1]]]
        return codes // count, codes % count

    def weights(self, left: Ints, right: Ints, floor: float, workers: int = 1
                ) -> npt.NDArray[np.float64]:
        """The total weight of evidence of each pair, as `pair_score` adds it up, for
        every pair that can reach `floor`; a pair that cannot is left below it unfinished.

        The circumstances cost nothing and come first; then the name fields one by one,
        each weighed only for pairs that the fields still to come could lift to `floor`
        (a field's distinct pairs of spellings, not the pairs of records, are the cost)."""
        gap = np.where((self.year[left] == _NO_YEAR) | (self.year[right] == _NO_YEAR), -1,
                       np.abs(self.year[left] - self.year[right]))
        origin = np.where((self.origin[left] < 0) | (self.origin[right] < 0), 0,
                          np.where(self.origin[left] == self.origin[right], 1, 2))
        total = _by_combination((self.sex[left], self.sex[right], gap, origin),
                                _circumstances, 1)
        if self.household:
            for n, (a, b) in enumerate(zip(left.tolist(), right.tolist(), strict=True)):
                if a in self.household and b in self.household:
                    found = household_overlap(self.household[a], self.household[b])
                    total[n] += sum(w for _, w, _ in evidence(None, None, None, found, 0))
        rest = sum(most_weight(number) for number in range(len(self.fields)))
        alive = np.arange(len(left))
        for number, field in enumerate(self.fields):
            a, b = field.names[left[alive]], field.names[right[alive]]
            both = (a >= 0) & (b >= 0)
            values = field.values
            total[alive[both]] += _by_combination(
                (a[both], b[both]), lambda x, y, n=number, v=values: field_weight(
                    n, v[x], v[y]), workers)
            rest -= most_weight(number)
            alive = alive[total[alive] + rest >= floor]
        return total


def _split(record: PersonRecord) -> PersonRecord:
    """A whole name written in the given name's field, as imported lists often have it,
    split the way `records.profile` splits it."""
    if record.father_name or record.family_name:
        return record
    names = name_tokens(record.given_name)
    if len(names) < 2:
        return record
    given, father, family = (" ".join(t.text for t in part) or None
                             for part in (names[:1], names[1:-1], names[-1:]))
    return replace(record, given_name=given or "", father_name=father, family_name=family)


def _groups(block: Ints, record: Ints, year: Ints) -> tuple[Ints, Ints, Ints]:
    """Members of each block together, by year within it: (members, starts, sizes)."""
    order = np.lexsort((year[record], block))
    block, members = block[order], record[order]
    starts = np.flatnonzero(np.r_[True, block[1:] != block[:-1]]) if len(block) else block
    return members, starts, np.diff(np.r_[starts, len(block)])


def _all_pairs(members: Ints, starts: Ints, sizes: Ints) -> list[tuple[Ints, Ints]]:
    """Every pair within each block of 2 to BLOCK members, a block size at a time."""
    found: list[tuple[Ints, Ints]] = []
    for size in range(2, min(BLOCK, int(sizes.max(initial=0))) + 1):
        rows = starts[sizes == size][:, None] + np.arange(size)
        if len(rows):
            first, second = np.triu_indices(size, 1)
            found.append((members[rows[:, first]].ravel(), members[rows[:, second]].ravel()))
    return found


def _large_blocks(members: Ints, starts: Ints, sizes: Ints, year: Ints,
                  among: npt.NDArray[np.bool_] | None = None) -> list[tuple[Ints, Ints]]:
    """`_within_years` of each block of more than BLOCK members."""
    large = sizes > BLOCK
    return [_within_years(members[start:start + size], year, among) for start, size in
            zip(starts[large].tolist(), sizes[large].tolist(), strict=True)]


def _within_years(members: Ints, year: Ints, among: npt.NDArray[np.bool_] | None = None
                  ) -> tuple[Ints, Ints]:
    """Pairs of a large block's members (sorted by year) born at most YEARS apart, and
    of a member without a year with every other, with at least one of the pair `among`
    the records given."""
    unknown = members[year[members] == _NO_YEAR]
    members = members[year[members] != _NO_YEAR]
    years = year[members]
    ends = np.searchsorted(years, years + YEARS, side="right")
    counts = ends - np.arange(len(members)) - 1
    first = np.repeat(np.arange(len(members)), counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    a, b = members[first], members[first + 1 + offsets]
    if len(unknown):
        everyone = np.concatenate([unknown, members])
        a = np.concatenate([a, np.repeat(unknown, len(everyone))])
        b = np.concatenate([b, np.tile(everyone, len(unknown))])
        keep = a != b
        a, b = a[keep], b[keep]
    if among is None:
        return a, b
    keep = among[a] | among[b]
    return a[keep], b[keep]


def _by_combination(columns: tuple[Ints, ...], weigh: Callable[..., float], workers: int
                    ) -> npt.NDArray[np.float64]:
    """weigh(*values) for each row of `columns` (integers from -1 up), called once per
    distinct row: the columns are packed into one integer per row to find them."""
    if not len(columns[0]):
        return np.zeros(0)
    code = np.zeros(len(columns[0]), dtype=np.int64)
    for column in columns:
        code = code * (int(column.max()) + 2) + column + 1
    _, first, inverse = np.unique(code, return_index=True, return_inverse=True)
    rows = list(zip(*(column[first].tolist() for column in columns), strict=True))
    return np.array(_spread(weigh, rows, workers))[inverse.ravel()]


# The work of `_spread`, left where forked processes find it: its function is often a
# lambda, which cannot be pickled to a worker.
_task: tuple[Callable[..., Any], list[tuple[Any, ...]], int] | None = None


def _spread(function: Callable[..., Any], arguments: list[tuple[Any, ...]], workers: int
            ) -> list[Any]:
    """[function(*args) for args in arguments], over `workers` forked processes when
    there is enough to do to pay for starting them."""
    global _task
    if workers <= 1 or len(arguments) < PARALLEL_FROM:
        return [function(*args) for args in arguments]
    _task = (function, arguments, workers)
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            parts = pool.map(_part, range(workers))
    finally:
        _task = None
    out: list[Any] = [None] * len(arguments)
    for n, part in enumerate(parts):
        out[n::workers] = part
    return out


def _part(n: int) -> list[Any]:
    assert _task is not None
    function, arguments, workers = _task
    return [function(*args) for args in arguments[n::workers]]


def _circumstances(sex_a: int, sex_b: int, gap: int, origin: int) -> float:
    return sum(weight for _, weight, _ in evidence(
        sex_a == sex_b if sex_a and sex_b else None, gap if gap >= 0 else None,
        origin == 1 if origin else None, None, PAIR_TOLERANCE))


def _explain_away(records: Sequence[PersonRecord], left: Ints, right: Ints,
                  total: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
    """Which likely links to keep, taken strongest first the way a reviewer joins records
    into people: a link is dropped if it would make one person of two records that are
    plainly two people, or a third registration of one person on less than THIRD more
    weight than a likely pair needs.

    Why THIRD: a person is registered again when a family queues at a second gathering
    point or a phone's records reach the server twice under different ids; a third time
    is far rarer than a namesake. A score's odds grow e-fold with every 1.5 of weight
    (`records.probability`), so 6 more asks for odds about 55 times a likely pair's: a
    record with the same names, year and place joins a pair, a record without a father's
    name born two years off does not."""
    kept = np.zeros(len(left), dtype=bool)
    strong = weight_for(THRESHOLD) + THIRD
    person: dict[int, list[int]] = {}  # record: the records taken for the same person
    for n in np.argsort(-total, kind="stable").tolist():
        a, b = int(left[n]), int(right[n])
        one, two = person.get(a, [a]), person.get(b, [b])
        if one is not two:
            if len(one) + len(two) > 2 and (total[n] < strong or any(
                    _plainly_apart(records[x], records[y]) for x in one for y in two)):
                continue
            joined = one + two
            person.update(dict.fromkeys(joined, joined))
        kept[n] = True
    return kept


def _plainly_apart(a: PersonRecord, b: PersonRecord) -> bool:
    """Two people, as a reviewer would see at a glance: a name or the sex differs, or
    everything together says so."""
    match = pair_score(a, b)
    return match.score < CONFLICT or not _APART.isdisjoint(match.disagreed)


def _pair(a: PersonRecord, b: PersonRecord) -> DuplicatePair:
    match = pair_score(a, b)
    first, second = sorted((a.person_id, b.person_id))
    return DuplicatePair(first, second, match.score, match.agreed, match.disagreed)
