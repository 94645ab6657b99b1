"""Setting up the operation (coordinators) and its aggregate picture (everyone)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Depends

from corridor.api.commands import may_record
from corridor.api.context import corridor, current_principal, ledger_of
from corridor.domain import events as ev
from corridor.services import overview, queries, timeline
from corridor.services import reads as read
from corridor.services.app import Corridor
from corridor.services.commands import setup
from corridor.services.ledger import Ledger, Principal

router = APIRouter(prefix="/api", tags=["operation"])


@router.get("/operation")
def get_operation(as_of: str | None = None,
                  principal: Principal = Depends(current_principal),
                  app: Corridor = Depends(corridor)) -> dict[str, Any]:
    """The operation and its counts, now or `as_of` a ledger sequence number or a time
    (docs/api.md); partners get small counts suppressed."""
    return overview.operation(app.ledger, principal, timeline.moment(app.ledger, as_of))


@router.post("/operation", status_code=201)
def open_operation(body: ev.OperationOpened, principal: Principal = may_record("OperationOpened"),
                   ledger: Ledger = Depends(ledger_of)) -> dict[str, Any]:
    return asdict(setup.open_operation(ledger, principal, body))


@router.get("/locations")
def list_locations(kind: str | None = None, _: Principal = Depends(current_principal),
                   app: Corridor = Depends(corridor)) -> list[dict[str, Any]]:
    with app.engine.connect() as conn:
        return queries.places(conn, kind)


@router.post("/locations", status_code=201)
def add_location(body: ev.LocationAdded, principal: Principal = may_record("LocationAdded"),
                 ledger: Ledger = Depends(ledger_of)) -> dict[str, Any]:
    return asdict(setup.add_location(ledger, principal, body))


@router.get("/parties")
def list_parties(_: Principal = Depends(current_principal),
                 app: Corridor = Depends(corridor)) -> list[dict[str, Any]]:
    with app.engine.connect() as conn:
        return queries.all_parties(conn)


@router.post("/parties", status_code=201)
def add_party(body: ev.PartyRegistered, principal: Principal = may_record("PartyRegistered"),
              ledger: Ledger = Depends(ledger_of)) -> dict[str, Any]:
    return asdict(setup.add_party(ledger, principal, body))


@router.post("/routes", status_code=201)
def define_route(body: ev.RouteDefined, principal: Principal = may_record("RouteDefined"),
                 ledger: Ledger = Depends(ledger_of)) -> dict[str, Any]:
    return asdict(setup.define_route(ledger, principal, body))


@router.post("/vehicles", status_code=201)
def register_vehicle(body: ev.VehicleRegistered,
                     principal: Principal = may_record("VehicleRegistered"),
                     ledger: Ledger = Depends(ledger_of)) -> dict[str, Any]:
    return asdict(setup.register_vehicle(ledger, principal, body))


@router.get("/convoys")
def convoy_board(principal: Principal = Depends(current_principal),
                 app: Corridor = Depends(corridor)) -> list[dict[str, Any]]:
    """Every convoy with its route and each vehicle's position: counts, no names."""
    return read.convoy_board(app.engine, principal)


@router.post("/convoys", status_code=201)
def plan_convoy(body: ev.ConvoyPlanned, principal: Principal = may_record("ConvoyPlanned"),
                ledger: Ledger = Depends(ledger_of)) -> dict[str, Any]:
    return asdict(setup.plan_convoy(ledger, principal, body))
