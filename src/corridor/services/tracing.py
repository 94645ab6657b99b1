"""Finding people: tracing search, tracing requests and the duplicate review queue.

Searching for a person is reading personal data about someone who may be in danger,
so every search and every view of a match is written to the audit log with the
reason given, searches are rate limited per user (in the database, so across
processes), and partners never get results.
Where a person is now (status, vehicle, place) is shown only to roles in
`SEES_WHEREABOUTS`.

The name index lives beside the ledger's cached state and follows the state's
`identity_log`, so a person registered or checked in a moment ago is found at once.
Candidates for tracing requests are searched live rather than stored: a request
filed before a person arrives is matched as soon as that person is registered or
checked in, and a rebuild has nothing to reproduce.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine

from corridor.domain.entities import Person, TracingRequest
from corridor.domain.permissions import SEES_WHEREABOUTS
from corridor.domain.state import OperationState
from corridor.domain.vocabulary import Status
from corridor.matching.index import NameIndex
from corridor.matching.names import key, tokens
from corridor.matching.records import Match, PersonRecord, Query, pair_score
from corridor.services.audit import record_read
from corridor.services.ledger import Ledger, Principal
from corridor.services.limits import Limit, take

# A request's candidates: matches at or above this score, at most this many. Scores
# weigh evidence, so a request naming only a given name and a year cannot score high
# even when all of it agrees (about 0.5); a wrong name or year falls below 0.1.
CANDIDATE_SCORE = 0.3
CANDIDATE_LIMIT = 20
# Duplicate pairs at or above this score go to the review queue.
DUPLICATE_SCORE = 0.8
MAX_BLOCK = 200
# Searches a user may make per window — a search, filing a tracing request and viewing
# one's candidates each count, as each gives names: enough for a busy tracing desk, too
# few to page through a registry. Kept in the database, so shared by every process.
SEARCH_LIMIT = Limit("searches", 60, timedelta(seconds=60))


def record_of(state: OperationState, person: Person) -> PersonRecord:
    household = state.households.get(person.household_id)
    others = tuple(state.persons[m].given_name for m in state.members[person.household_id]
                   if m != person.person_id)
    return PersonRecord(person.person_id, person.given_name, person.father_name,
                        person.family_name, person.sex, person.birth_year,
                        household.gathering_point_id if household else None, others)


class NameIndexKeeper:
    """Keeps one NameIndex in step with a ledger's state."""

    def __init__(self) -> None:
        self._index = NameIndex()
        self._state: OperationState | None = None
        self._seen = 0

    def index(self, state: OperationState) -> NameIndex:
        if state is not self._state:  # a rebuilt or reloaded state: start again
            self._index, self._state, self._seen = NameIndex(), state, 0
        log = state.identity_log
        for person_id in dict.fromkeys(log[self._seen:]):
            person = state.persons[person_id]
            if person.merged_into is None:
                self._index.add(record_of(state, person))
            else:
                self._index.remove(person_id)
        self._seen = len(log)
        return self._index


@dataclass(frozen=True, slots=True)
class Found:
    match: Match
    person: dict[str, Any]


def _describe(state: OperationState, person: Person, whereabouts: bool) -> dict[str, Any]:
    household = state.households.get(person.household_id)
    row: dict[str, Any] = {
        "person_id": person.person_id, "given_name": person.given_name,
        "father_name": person.father_name, "family_name": person.family_name,
        "sex": person.sex, "birth_year": person.birth_year,
        "household_id": person.household_id,
        "gathering_point_id": household.gathering_point_id if household else None}
    if whereabouts:
        row.update(status=person.status, vehicle_id=person.vehicle_id,
                   location_id=person.location_id, status_at=person.status_at)
    return row


class Tracing:
    """Search, requests and duplicates over one ledger."""

    def __init__(self, engine: Engine, ledger: Ledger) -> None:
        self.engine, self.ledger = engine, ledger
        self.keeper = NameIndexKeeper()
        self.limit = SEARCH_LIMIT
        self.duplicates = DuplicateFinder()

    def count_search(self, principal: Principal) -> None:
        """Count one way of getting names against the user's limit (RateLimited when
        it is spent): a search, filing a tracing request, viewing its candidates."""
        take(self.engine, self.limit, principal.username)

    def _found(self, state: OperationState, matches: Iterable[Match],
               whereabouts: bool) -> list[Found]:
        return [Found(m, _describe(state, state.persons[m.person_id], whereabouts))
                for m in matches]

    def search(self, principal: Principal, query: Query, reason: str,
               limit: int = 10) -> list[Found]:
        """Ranked matches for a query; audited with the reason, rate limited."""
        self.count_search(principal)
        whereabouts = principal.role in SEES_WHEREABOUTS
        found = self.ledger.read(lambda state: self._found(
            state, self.keeper.index(state).search(query, limit), whereabouts))
        record_read(self.engine, principal, "trace search",
                    f"{_describe_query(query)}; reason: {reason}; "
                    f"results: {', '.join(f.match.person_id for f in found) or 'none'}",
                    why=reason, persons=[f.match.person_id for f in found])
        return found

    # --- tracing requests ------------------------------------------------------------------

    def candidates(self, state: OperationState, request: TracingRequest) -> list[Match]:
        query = Query(request.name, request.sex, request.born, request.tolerance,
                      request.origin, request.father_name, tuple(request.household_names))
        return [m for m in self.keeper.index(state).search(query, CANDIDATE_LIMIT)
                if m.score >= CANDIDATE_SCORE]

    def request_view(self, principal: Principal, request_id: str) -> dict[str, Any] | None:
        """A request with its candidates now, each with the review it has had and
        whether the person arrived or was registered after the request was filed.
        Rate limited like a search."""
        self.count_search(principal)
        whereabouts = principal.role in SEES_WHEREABOUTS

        def look(state: OperationState) -> dict[str, Any] | None:
            request = state.tracing_requests.get(request_id)
            if request is None:
                return None
            rows = []
            for found in self._found(state, self.candidates(state, request), whereabouts):
                person = state.persons[found.match.person_id]
                review = state.tracing_reviews.get((request_id, person.person_id))
                rows.append({**found.person, "score": round(found.match.score, 3),
                             "agreed": list(found.match.agreed),
                             "disagreed": list(found.match.disagreed),
                             "review": review.decision if review else None,
                             "since_filed": _since(person, request)})
            return {"request": _request_row(request), "candidates": rows}

        view = self.ledger.read(look)
        if view is not None:
            shown = [c["person_id"] for c in view["candidates"]]
            record_read(self.engine, principal, "view tracing request", f"{request_id}; "
                        "candidates: " + (", ".join(shown) or "none"), persons=shown)
        return view

    def open_requests(self) -> list[dict[str, Any]]:
        """Open requests with how many candidates each has, and whether any of them
        was registered or checked in after the request was filed (news for the family)."""

        def look(state: OperationState) -> list[dict[str, Any]]:
            rows = []
            for request in state.tracing_requests.values():
                if request.status != "open":
                    continue
                matches = self.candidates(state, request)
                rejected = {p for (r, p), review in state.tracing_reviews.items()
                            if r == request.request_id and review.decision == "rejected"}
                live = [m for m in matches if m.person_id not in rejected]
                rows.append({**_request_row(request), "candidates": len(live),
                             "best_score": round(live[0].score, 3) if live else None,
                             "news": any(_since(state.persons[m.person_id], request)
                                         for m in live)})
            return sorted(rows, key=lambda r: (not r["news"], r["filed_at"]))

        return self.ledger.read(look)

    # --- duplicates -------------------------------------------------------------------------

    def duplicate_queue(self, principal: Principal, limit: int = 100) -> list[dict[str, Any]]:
        """Pairs that may be one person registered twice — on different devices or
        at different places — not yet decided, most likely first."""

        def look(state: OperationState) -> list[dict[str, Any]]:
            pairs = self.duplicates.pairs(state)
            undecided = [(m, state.persons[a], state.persons[b]) for m, a, b in pairs
                         if (min(a, b), max(a, b)) not in state.duplicate_reviews
                         and state.persons[a].merged_into is None
                         and state.persons[b].merged_into is None]
            return [{"score": round(m.score, 3), "agreed": list(m.agreed),
                     "disagreed": list(m.disagreed),
                     "person": _describe(state, first, True),
                     "other": _describe(state, second, True)}
                    for m, first, second in undecided[:limit]]

        queue = self.ledger.read(look)
        record_read(self.engine, principal, "view duplicate queue", f"pairs shown: {len(queue)}",
                    persons=[q[side]["person_id"] for q in queue for side in ("person", "other")])
        return queue

    def everyone(self, principal: Principal, why: str) -> list[PersonRecord]:
        """Every record not merged into another, for a batch duplicate search: a read
        of the whole registry, recorded as one before it is made."""
        record_read(self.engine, principal, "read every person", why, why=why, everyone=True)
        return self.ledger.read(lambda state: [record_of(state, p) for p in
                                               state.persons.values() if p.merged_into is None])




@lru_cache(maxsize=1 << 16)  # names repeat: a few thousand spellings for a whole operation
def _name_key(text: str | None) -> str:
    return " ".join(key(token) for token in tokens(text)) if text else ""


def _blocks_of(person: Person) -> list[tuple[str, ...]]:
    """Blocks pairing a person with records whose given, father's and family names
    share keys (across scripts and spellings), or — where a father's name is
    missing — whose given and family names do, born within a year. Tight on
    purpose: one person registered twice agrees on nearly everything, while a loose
    block of a common name (Muhammad is one Syrian man in seven) pairs thousands of
    namesakes."""
    given, family = _name_key(person.given_name), _name_key(person.family_name)
    blocks: list[tuple[str, ...]] = []
    if person.father_name:
        blocks.append(("f", given, _name_key(person.father_name), family))
    if person.birth_year is not None:
        blocks += [("y", given, family, str(year))
                   for year in (person.birth_year - 1, person.birth_year, person.birth_year + 1)]
    return blocks


class DuplicateFinder:
    """Scored pairs that may be one person registered twice, kept up to date as
    people are registered (following the state's identity log)."""

    def __init__(self) -> None:
        self._reset(None)

    def _reset(self, state: OperationState | None) -> None:
        self._state, self._seen = state, 0
        self._blocks: dict[tuple[str, ...], list[str]] = defaultdict(list)
        self._pairs: dict[tuple[str, str], Match] = {}
        self._ranked: list[tuple[Match, str, str]] | None = None

    def pairs(self, state: OperationState) -> list[tuple[Match, str, str]]:
        """Pairs at or above DUPLICATE_SCORE, best first (decided ones included)."""
        if state is not self._state:  # a rebuilt or reloaded state: start again
            self._reset(state)
        for person_id in dict.fromkeys(state.identity_log[self._seen:]):
            self._place(state, state.persons[person_id])
        self._seen = len(state.identity_log)
        if self._ranked is None:
            self._ranked = sorted(((m, a, b) for (a, b), m in self._pairs.items()),
                                  key=lambda item: (-item[0].score, item[1], item[2]))
        return self._ranked

    def _place(self, state: OperationState, person: Person) -> None:
        for block in _blocks_of(person):
            members = self._blocks[block]
            if person.person_id in members:
                continue  # logged again (merged, unmerged, household changed)
            if len(members) < MAX_BLOCK:  # a block this big holds namesakes, not duplicates
                for other_id in members:
                    self._consider(state, person, state.persons[other_id])
            members.append(person.person_id)

    def _consider(self, state: OperationState, first: Person, second: Person) -> None:
        pair = (min(first.person_id, second.person_id), max(first.person_id, second.person_id))
        if pair in self._pairs or first.household_id == second.household_id or \
                not _apart(state, first, second):
            return
        match = pair_score(record_of(state, first), record_of(state, second))
        if match.score >= DUPLICATE_SCORE:
            self._pairs[pair] = match
            self._ranked = None


def _apart(state: OperationState, first: Person, second: Person) -> bool:
    """Registered on different devices or at different gathering points."""
    a, b = state.households.get(first.household_id), state.households.get(second.household_id)
    if a is None or b is None:
        return True
    return a.device_id != b.device_id or a.gathering_point_id != b.gathering_point_id


def _since(person: Person, request: TracingRequest) -> bool:
    after = person.registered_at is not None and person.registered_at > request.filed_at
    arrived = (person.status == Status.ARRIVED and person.status_at is not None
               and person.status_at > request.filed_at)
    return after or arrived


def _request_row(request: TracingRequest) -> dict[str, Any]:
    return {name: getattr(request, name) for name in request.__slots__}


def _describe_query(query: Query) -> str:
    parts = [f"name={query.name!r}"]
    for field in ("sex", "born", "origin", "father_name"):
        if (value := getattr(query, field)) is not None:
            parts.append(f"{field}={value!r}")
    return " ".join(parts)
