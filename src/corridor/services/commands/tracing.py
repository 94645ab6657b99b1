"""The tracing desk's use cases: searching for a person, tracing requests, and the
duplicate queue's decisions.

A search records no fact, but it is a use case all the same: it reads personal data
about someone who may be in danger, so it needs a reason, is written to the audit log
and is rate limited (`Tracing.search`). A gathering point named as where the person
came from must be one, as for a registration (`OperationState.gathering_point_problem`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from corridor.domain import events as ev
from corridor.domain.state import OperationState
from corridor.domain.vocabulary import Status
from corridor.matching.records import Query
from corridor.services.commands import Recorded, new_id, record
from corridor.services.ledger import Ledger, Principal, Refused
from corridor.services.tracing import Found, Tracing


def _origin_problem(state: OperationState, origin: str | None) -> None:
    if origin and (reason := state.gathering_point_problem(origin)):
        raise Refused(reason, "origin", 422)


class SearchIn(ev.SoughtPerson):
    reason: Annotated[str, Field(min_length=3, max_length=500,
                                 description="why you are searching: it goes to the audit log")]
    limit: Annotated[int, Field(ge=1, le=50)] = 10


def search(tracing: Tracing, who: Principal, sought: SearchIn) -> list[Found]:
    """People who may be the one sought, best first."""
    if sought.origin:  # most searches name none: no second pass under the ledger's lock
        tracing.ledger.read(lambda state: _origin_problem(state, sought.origin))
    query = Query(sought.name, sought.sex, sought.born, sought.tolerance, sought.origin,
                  sought.father_name, tuple(sought.household_names))
    return tracing.search(who, query, sought.reason, sought.limit)


class RequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    request_id: ev.Id | None = None
    sought: ev.SoughtPerson
    requester_name: ev.Name
    relationship: ev.Name
    contact: ev.Text
    consent: bool
    note: ev.Text = ""


@dataclass(frozen=True, slots=True)
class Filed(Recorded):
    request_id: str


def file_request(tracing: Tracing, who: Principal, request: RequestIn) -> Filed:
    """A family's request to find someone; recorded only with the requester's consent.
    Its candidates are names, so filing counts against the same limit as a search."""
    if not request.consent:
        raise Refused("consent: the requester must agree before a request is recorded",
                      "consent", 422)
    tracing.count_search(who)
    fact = ev.TracingRequestFiled(**{**request.model_dump(),
                                     "request_id": request.request_id or new_id()})

    def decide(state: OperationState) -> list[ev.Payload]:
        _origin_problem(state, fact.sought.origin)
        return [fact]

    return Filed(record(tracing.ledger, who, decide).recorded, fact.request_id)


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    person_id: ev.Id
    decision: Literal["confirmed", "rejected", "unsure"]
    note: ev.Text = ""


def review_candidate(ledger: Ledger, who: Principal, request_id: str,
                     review: ReviewIn) -> Recorded:
    return record(ledger, who, ev.TracingCandidateReviewed(request_id=request_id,
                                                           **review.model_dump()))


class ClosureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: Literal["found", "not_found", "withdrawn", "referred"]
    person_id: ev.Id | None = None
    note: ev.Text = ""


def close_request(ledger: Ledger, who: Principal, request_id: str,
                  closure: ClosureIn) -> Recorded:
    return record(ledger, who, ev.TracingRequestClosed(request_id=request_id,
                                                       **closure.model_dump()))


# --- duplicates ------------------------------------------------------------------------------


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    person_id: ev.Id
    other_id: ev.Id
    decision: Literal["same", "different", "unsure"]
    note: ev.Text = ""


@dataclass(frozen=True, slots=True)
class Decided(Recorded):
    kept_id: str | None  # for "same": the record kept, and the one merged into it
    merged_id: str | None


def decide_duplicate(ledger: Ledger, who: Principal, decision: DecisionIn) -> Decided:
    """Record a decision on a pair; "same" merges the two records into the one that
    has moved (boarded, arrived...), or else the first."""
    pair = (decision.person_id, decision.other_id)

    def oriented(state: OperationState) -> list[ev.Payload]:
        nonlocal pair
        first, second = state.persons.get(decision.person_id), state.persons.get(
            decision.other_id)
        if decision.decision == "same" and first is not None and second is not None and \
                first.status == Status.WAITING and second.status != Status.WAITING:
            pair = (decision.other_id, decision.person_id)
        return [ev.DuplicateReviewed(person_id=pair[0], other_id=pair[1],
                                     decision=decision.decision, note=decision.note)]

    done = record(ledger, who, oriented)
    same = decision.decision == "same"
    return Decided(done.recorded, pair[0] if same else None, pair[1] if same else None)


class UnmergeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    person_id: ev.Id
    other_id: ev.Id
    note: ev.Text = ""


def unmerge(ledger: Ledger, who: Principal, pair: UnmergeIn) -> Recorded:
    return record(ledger, who, ev.PersonsUnmerged(**pair.model_dump()))
