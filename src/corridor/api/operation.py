"""Setting up the operation (coordinators) and its aggregate picture (everyone)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Depends, Response

from corridor.api.commands import may_record
from corridor.api.context import corridor, current_principal, ledger_of
from corridor.domain import events as ev
from corridor.services import board, overview, queries, timeline
from corridor.services.app import Corridor
from corridor.services.commands import setup
from corridor.services.ledger import Ledger, Principal
from corridor.services.views.convoys import PER_PAGE, Filters

router = APIRouter(prefix="/api", tags=["operation"])


@router.get("/operation")
def get_operation(as_of: str | None = None, principal: Principal = Depends(current_principal),
                  app: Corridor = Depends(corridor)) -> dict[str, Any]:
    """The operation and the dashboard's figures, now or `as_of` a ledger sequence number
    or a time; partners get counts rounded to 5 and those under 5 suppressed ("<5")."""
    return overview.operation(app, principal, timeline.moment(app.ledger, as_of))


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


@router.post("/fleets", status_code=201)
def register_fleet(body: setup.FleetIn, principal: Principal = may_record("VehicleRegistered"),
                   ledger: Ledger = Depends(ledger_of)) -> dict[str, Any]:
    """Many vehicles alike but for their labels ("SARC-{n:03}"), all or none."""
    return asdict(setup.register_fleet(ledger, principal, body))


@router.get("/convoys")
def convoy_board(response: Response, day: str | None = None, state: str | None = None,
                 route: str | None = None, page: int | None = None,
                 per_page: int | None = None, as_of: str | None = None,
                 principal: Principal = Depends(current_principal),
                 app: Corridor = Depends(corridor)) -> list[dict[str, Any]]:
    """Convoys with their route and each vehicle's trip: position and counts, no names.
    Active convoys first; filtered by `day` (of departure, or of planning), `state` and
    `route`; all of them unless `page` or `per_page` asks for a page (20 by default).
    `X-Total-Count` says how many match. `as_of`: as the record stood then."""
    filters = Filters.read(day, state, route, page,
                           per_page or (PER_PAGE if page else None))
    found = board.convoy_board(app.ledger, principal, filters,
                               timeline.moment(app.ledger, as_of))
    response.headers["X-Total-Count"] = str(found["total"])
    return list(found["convoys"])


@router.post("/convoys", status_code=201)
def plan_convoy(body: ev.ConvoyPlanned, principal: Principal = may_record("ConvoyPlanned"),
                ledger: Ledger = Depends(ledger_of)) -> dict[str, Any]:
    return asdict(setup.plan_convoy(ledger, principal, body))
