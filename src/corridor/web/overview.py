"""The page without a name: the dashboard of counts."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from corridor.domain.vocabulary import Need, Role, Status
from corridor.services import reads
from corridor.web.page import SignedIn, app_of, render

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, who: SignedIn) -> HTMLResponse:
    partner = who.role == Role.PARTNER
    counts = reads.operation(app_of(request).engine, who)["counts"]
    # Row totals would undo the partners' small-cell suppression, so only staff get them.
    need_totals = None if partner else {
        need: sum(row.values()) for need, row in counts["by_need"].items()}
    return render(request, "dashboard.html", counts=counts, statuses=list(Status),
                  needs=list(Need), need_totals=need_totals, partner=partner)
