"""A vehicle's manifest, printable as the paper backup that travels with it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Connection

from corridor.services import queries
from corridor.services.audit import audited, ids
from corridor.web.i18n import N_
from corridor.web.page import SeesPersons, WebError, app_of, render

router = APIRouter(include_in_schema=False)


def _trip(conn: Connection, vehicle_id: str) -> tuple[dict[str, Any], dict[str, Any] | None] | None:
    """A vehicle's manifest and its convoy's row of the board, or None if it is unknown."""
    found = queries.manifest(conn, vehicle_id)
    if found is None:
        return None
    convoy_id = found["vehicle"]["convoy_id"]
    return found, next((c for c in queries.convoy_board(conn) if c["convoy_id"] == convoy_id),
                       None)


@router.get("/vehicles/{vehicle_id}/manifest", response_class=HTMLResponse)
def manifest(vehicle_id: str, request: Request,
             who: SeesPersons) -> HTMLResponse:
    trip = audited(app_of(request).engine, who, "web: view manifest",
                   lambda conn: _trip(conn, vehicle_id), vehicle_id,
                   persons=lambda trip: ids(trip[0]["persons"]))
    if trip is None:
        raise WebError(404, N_("error.no_vehicle"))
    found, route = trip
    convoy_id = found["vehicle"]["convoy_id"]
    # Passages of this trip only: a vehicle may have done earlier trips in other convoys.
    headcounts = {p["checkpoint_id"]: p["headcount"] for p in found["passages"]
                  if p["convoy_id"] == (convoy_id or "-")}
    return render(request, "manifest.html", manifest=found, route=route,
                  headcounts=headcounts, printed_at=datetime.now(UTC))
