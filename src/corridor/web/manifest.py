"""A trip's manifest, printable as the paper backup that travels with the vehicle.

A trip is a vehicle in one convoy (`?convoy=`; without it, the vehicle's current or
last trip): a bus making two trips prints two manifests, each under its own convoy.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from corridor.domain.visibility import sees
from corridor.services import board
from corridor.services.reads import ReadRefused
from corridor.web.i18n import N_
from corridor.web.page import AsOf, SignedIn, app_of, render, web_refusal

router = APIRouter(include_in_schema=False)


@router.get("/vehicles/{vehicle_id}/manifest", response_class=HTMLResponse)
def manifest(vehicle_id: str, request: Request, who: SignedIn, when: AsOf,
             convoy: str | None = None) -> HTMLResponse:
    try:
        found = board.trip_manifest(app_of(request).ledger, who, vehicle_id, convoy or None, when)
    except ReadRefused as refused:
        raise web_refusal(refused, N_("error.no_vehicle")) from None
    headcounts = {p["checkpoint_id"]: p["headcount"] for p in found["passages"]}
    return render(request, "manifest.html", manifest=found, route=found["route"],
                  shows_status=sees("person", "status", who.role), moment=when,
                  headcounts=headcounts, printed_at=datetime.now(UTC))
