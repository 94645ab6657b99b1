"""A vehicle's manifest, printable as the paper backup that travels with it."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from corridor.domain.visibility import sees
from corridor.services import reads
from corridor.services.reads import ReadRefused
from corridor.web.i18n import N_
from corridor.web.page import SignedIn, app_of, render, web_refusal

router = APIRouter(include_in_schema=False)


@router.get("/vehicles/{vehicle_id}/manifest", response_class=HTMLResponse)
def manifest(vehicle_id: str, request: Request, who: SignedIn) -> HTMLResponse:
    engine = app_of(request).engine
    try:
        found = reads.manifest(engine, who, vehicle_id)
    except ReadRefused as refused:
        raise web_refusal(refused, N_("error.no_vehicle")) from None
    convoy_id = found["vehicle"]["convoy_id"]
    route = next((c for c in reads.convoy_board(engine, who) if c["convoy_id"] == convoy_id),
                 None)
    # Passages of this trip only: a vehicle may have done earlier trips in other convoys.
    headcounts = {p["checkpoint_id"]: p["headcount"] for p in found["passages"]
                  if p["convoy_id"] == (convoy_id or "-")}
    return render(request, "manifest.html", manifest=found, route=route,
                  shows_status=sees("person", "status", who.role),
                  headcounts=headcounts, printed_at=datetime.now(UTC))
