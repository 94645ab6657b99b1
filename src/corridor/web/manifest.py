"""A vehicle's manifest, printable as the paper backup that travels with it."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from corridor.services import queries
from corridor.services.access import audit
from corridor.web.page import SeesPersons, WebError, app_of, render

router = APIRouter(include_in_schema=False)


@router.get("/vehicles/{vehicle_id}/manifest", response_class=HTMLResponse)
def manifest(vehicle_id: str, request: Request,
             who: SeesPersons) -> HTMLResponse:
    with app_of(request).engine.begin() as conn:
        found = queries.manifest(conn, vehicle_id)
        if found is None:
            raise WebError(404, "error.no_vehicle")
        convoy_id = found["vehicle"]["convoy_id"]
        route = next((c for c in queries.convoy_board(conn) if c["convoy_id"] == convoy_id),
                     None)
        audit(conn, who, "web: view manifest", vehicle_id)
    # Passages of this trip only: a vehicle may have done earlier trips in other convoys.
    headcounts = {p["checkpoint_id"]: p["headcount"] for p in found["passages"]
                  if p["convoy_id"] == (convoy_id or "-")}
    return render(request, "manifest.html", manifest=found, route=route,
                  headcounts=headcounts, printed_at=datetime.now(UTC))
