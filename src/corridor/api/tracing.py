"""Finding people: tracing search and requests, and the duplicate review queue."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from corridor.api.commands import may_record, new_id, record
from corridor.api.context import Corridor, corridor, require
from corridor.api.problems import Problem
from corridor.domain import events as ev
from corridor.domain.permissions import HANDLES_REQUESTS, SEARCHES
from corridor.domain.state import OperationState
from corridor.domain.vocabulary import Status
from corridor.matching.records import Query
from corridor.services.access import record_read
from corridor.services.ledger import Principal
from corridor.services.tracing import Found, Tracing

router = APIRouter(tags=["tracing"])


def tracing(request: Request) -> Tracing:
    return request.app.state.tracing  # type: ignore[no-any-return]


class SearchIn(ev.SoughtPerson):
    reason: Annotated[str, Field(min_length=3, max_length=500,
                                 description="why you are searching: it goes to the audit log")]
    limit: Annotated[int, Field(ge=1, le=50)] = 10


def _rows(found: list[Found]) -> list[dict[str, Any]]:
    return [{**f.person, "score": round(f.match.score, 3), "agreed": list(f.match.agreed),
             "disagreed": list(f.match.disagreed)} for f in found]


@router.post("/api/tracing/search")
def search(body: SearchIn, principal: Principal = Depends(require(*SEARCHES)),
           service: Tracing = Depends(tracing)) -> list[dict[str, Any]]:
    """People who may be the one sought, best first, with the fields that agreed and
    disagreed. Status and whereabouts only for roles allowed to see them."""
    query = Query(body.name, body.sex, body.born, body.tolerance, body.origin,
                  body.father_name, tuple(body.household_names))
    return _rows(service.search(principal, query, body.reason, body.limit))


class RequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    request_id: ev.Id | None = None
    sought: ev.SoughtPerson
    requester_name: ev.Name
    relationship: ev.Name
    contact: ev.Text
    consent: bool
    note: ev.Text = ""


@router.post("/api/tracing/requests", status_code=201)
def file_request(body: RequestIn, principal: Principal = may_record("TracingRequestFiled"),
                 app: Corridor = Depends(corridor)) -> dict[str, Any]:
    if not body.consent:
        raise Problem(422, "Consent needed", "consent: the requester must agree before a "
                      "request is recorded", "consent")
    event = ev.TracingRequestFiled(**{**body.model_dump(), "request_id":
                                      body.request_id or new_id()})
    return {**record(app, principal, event), "request_id": event.request_id}


@router.get("/api/tracing/requests")
def open_requests(principal: Principal = Depends(require(*HANDLES_REQUESTS)),
                  app: Corridor = Depends(corridor),
                  service: Tracing = Depends(tracing)) -> list[dict[str, Any]]:
    """Open requests, those with news (a candidate registered or checked in since
    the request was filed) first."""
    rows = service.open_requests()
    record_read(app.engine, principal, "list tracing requests", f"open: {len(rows)}")
    return rows


@router.get("/api/tracing/requests/{request_id}")
def view_request(request_id: str, principal: Principal = Depends(require(*HANDLES_REQUESTS)),
                 service: Tracing = Depends(tracing)) -> dict[str, Any]:
    view = service.request_view(principal, request_id)
    if view is None:
        raise Problem(404, "Not found", f"tracing request {request_id} is not known",
                      "request_id")
    return view


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    person_id: ev.Id
    decision: Literal["confirmed", "rejected", "unsure"]
    note: ev.Text = ""


@router.post("/api/tracing/requests/{request_id}/reviews")
def review_candidate(request_id: ev.Id, body: ReviewIn,
                     principal: Principal = may_record("TracingCandidateReviewed"),
                     app: Corridor = Depends(corridor)) -> dict[str, Any]:
    return record(app, principal, ev.TracingCandidateReviewed(request_id=request_id,
                                                              **body.model_dump()))


class ClosureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: Literal["found", "not_found", "withdrawn", "referred"]
    person_id: ev.Id | None = None
    note: ev.Text = ""


@router.post("/api/tracing/requests/{request_id}/closure")
def close_request(request_id: ev.Id, body: ClosureIn,
                  principal: Principal = may_record("TracingRequestClosed"),
                  app: Corridor = Depends(corridor)) -> dict[str, Any]:
    return record(app, principal, ev.TracingRequestClosed(request_id=request_id,
                                                          **body.model_dump()))


# --- duplicates ------------------------------------------------------------------------------


@router.get("/api/duplicates")
def duplicate_queue(limit: int = 100, principal: Principal = may_record("DuplicateReviewed"),
                    service: Tracing = Depends(tracing)) -> list[dict[str, Any]]:
    """Pairs of records that may be one person, undecided, most likely first."""
    return service.duplicate_queue(principal, min(max(limit, 1), 500))


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    person_id: ev.Id
    other_id: ev.Id
    decision: Literal["same", "different", "unsure"]
    note: ev.Text = ""


@router.post("/api/duplicates/decisions")
def decide(body: DecisionIn, principal: Principal = may_record("DuplicateReviewed"),
           app: Corridor = Depends(corridor)) -> dict[str, Any]:
    """Record a decision; "same" merges the two records into the one that has moved
    (boarded, arrived...), or else the first."""
    kept: dict[str, str] = {}

    def oriented(state: OperationState) -> list[ev.Payload]:
        first, second = state.persons.get(body.person_id), state.persons.get(body.other_id)
        pair = (body.person_id, body.other_id)
        if body.decision == "same" and first is not None and second is not None and \
                first.status == Status.WAITING and second.status != Status.WAITING:
            pair = (body.other_id, body.person_id)
        kept["kept_id"], kept["merged_id"] = pair
        return [ev.DuplicateReviewed(person_id=pair[0], other_id=pair[1],
                                     decision=body.decision, note=body.note)]

    result = record(app, principal, oriented)
    return {**result, **kept} if body.decision == "same" else result


class UnmergeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    person_id: ev.Id
    other_id: ev.Id
    note: ev.Text = ""


@router.post("/api/duplicates/unmerge")
def unmerge(body: UnmergeIn, principal: Principal = may_record("PersonsUnmerged"),
            app: Corridor = Depends(corridor)) -> dict[str, Any]:
    return record(app, principal, ev.PersonsUnmerged(**body.model_dump()))
