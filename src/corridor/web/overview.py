"""The pages without names: the dashboard of counts and the convoy board."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from corridor.domain.vocabulary import ConvoyState, Need, Role, Status
from corridor.services import overview, queries, reads
from corridor.web.page import AsOf, SignedIn, app_of, render

router = APIRouter(include_in_schema=False)

# Convoy states whose reason the board shows beside the state.
EXPLAINED = frozenset({ConvoyState.HELD, ConvoyState.TURNED_BACK, ConvoyState.ABORTED})


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, who: SignedIn, when: AsOf) -> HTMLResponse:
    partner = who.role == Role.PARTNER
    counts = overview.operation(app_of(request).ledger, who, when)["counts"]
    # Row totals would undo the partners' small-cell suppression, so only staff get them.
    need_totals = None if partner else {
        need: sum(row.values()) for need, row in counts["by_need"].items()}
    return render(request, "dashboard.html", counts=counts, statuses=list(Status),
                  needs=list(Need), need_totals=need_totals, partner=partner, moment=when)


@router.get("/convoys", response_class=HTMLResponse)
def convoy_board(request: Request, who: SignedIn) -> HTMLResponse:
    engine = app_of(request).engine
    board = reads.convoy_board(engine, who)
    with engine.connect() as conn:
        names = {p["location_id"]: p["name"] for p in queries.places(conn)}
    return render(request, "convoys.html", board=board, places=names, explained=EXPLAINED)
