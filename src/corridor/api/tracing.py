"""Finding people: tracing search and requests, and the duplicate review queue."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Depends

from corridor.api.commands import may_record
from corridor.api.context import corridor, ledger_of, require, tracing_of
from corridor.api.problems import Problem
from corridor.domain import events as ev
from corridor.domain.permissions import HANDLES_REQUESTS, SEARCHES
from corridor.services.app import Corridor
from corridor.services.audit import record_read
from corridor.services.commands import tracing as desk
from corridor.services.ledger import Ledger, Principal
from corridor.services.tracing import Found, Tracing

router = APIRouter(tags=["tracing"])


def _rows(found: list[Found]) -> list[dict[str, Any]]:
    return [{**f.person, "score": round(f.match.score, 3), "agreed": list(f.match.agreed),
             "disagreed": list(f.match.disagreed)} for f in found]


@router.post("/api/tracing/search")
def search(body: desk.SearchIn, principal: Principal = Depends(require(*SEARCHES)),
           service: Tracing = Depends(tracing_of)) -> list[dict[str, Any]]:
    """People who may be the one sought, best first, with the fields that agreed and
    disagreed. Status and whereabouts only for roles allowed to see them."""
    return _rows(desk.search(service, principal, body))


@router.post("/api/tracing/requests", status_code=201)
def file_request(body: desk.RequestIn, principal: Principal = may_record("TracingRequestFiled"),
                 service: Tracing = Depends(tracing_of)) -> dict[str, Any]:
    return asdict(desk.file_request(service, principal, body))


@router.get("/api/tracing/requests")
def open_requests(principal: Principal = Depends(require(*HANDLES_REQUESTS)),
                  app: Corridor = Depends(corridor),
                  service: Tracing = Depends(tracing_of)) -> list[dict[str, Any]]:
    """Open requests, those with news (a candidate registered or checked in since
    the request was filed) first."""
    rows = service.open_requests()
    record_read(app.engine, principal, "list tracing requests", f"open: {len(rows)}")
    return rows


@router.get("/api/tracing/requests/{request_id}")
def view_request(request_id: str, principal: Principal = Depends(require(*HANDLES_REQUESTS)),
                 service: Tracing = Depends(tracing_of)) -> dict[str, Any]:
    view = service.request_view(principal, request_id)
    if view is None:
        raise Problem(404, "Not found", f"tracing request {request_id} is not known",
                      "request_id")
    return view


@router.post("/api/tracing/requests/{request_id}/reviews")
def review_candidate(request_id: ev.Id, body: desk.ReviewIn,
                     principal: Principal = may_record("TracingCandidateReviewed"),
                     ledger: Ledger = Depends(ledger_of)) -> dict[str, Any]:
    return asdict(desk.review_candidate(ledger, principal, request_id, body))


@router.post("/api/tracing/requests/{request_id}/closure")
def close_request(request_id: ev.Id, body: desk.ClosureIn,
                  principal: Principal = may_record("TracingRequestClosed"),
                  ledger: Ledger = Depends(ledger_of)) -> dict[str, Any]:
    return asdict(desk.close_request(ledger, principal, request_id, body))


# --- duplicates ------------------------------------------------------------------------------


@router.get("/api/duplicates")
def duplicate_queue(limit: int = 100, principal: Principal = may_record("DuplicateReviewed"),
                    service: Tracing = Depends(tracing_of)) -> list[dict[str, Any]]:
    """Pairs of records that may be one person, undecided, most likely first."""
    return service.duplicate_queue(principal, min(max(limit, 1), 500))


@router.post("/api/duplicates/decisions")
def decide(body: desk.DecisionIn, principal: Principal = may_record("DuplicateReviewed"),
           ledger: Ledger = Depends(ledger_of)) -> dict[str, Any]:
    """Record a decision; "same" merges the two records into the one that has moved
    (boarded, arrived...), or else the first."""
    decided = asdict(desk.decide_duplicate(ledger, principal, body))
    return {k: v for k, v in decided.items() if v is not None}


@router.post("/api/duplicates/unmerge")
def unmerge(body: desk.UnmergeIn, principal: Principal = may_record("PersonsUnmerged"),
            ledger: Ledger = Depends(ledger_of)) -> dict[str, Any]:
    return asdict(desk.unmerge(ledger, principal, body))
