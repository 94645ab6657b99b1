"""Setting up the operation: the operation itself, the parties, places, routes,
vehicles and convoys. Coordinators and admins record these; the fold checks what
they name (a route's places of the right kinds, a convoy's vehicles free)."""

from __future__ import annotations

from corridor.domain import events as ev
from corridor.services.commands import Recorded, record
from corridor.services.ledger import Ledger, Principal


def open_operation(ledger: Ledger, who: Principal, operation: ev.OperationOpened) -> Recorded:
    return record(ledger, who, operation)


def add_party(ledger: Ledger, who: Principal, party: ev.PartyRegistered) -> Recorded:
    return record(ledger, who, party)


def add_location(ledger: Ledger, who: Principal, location: ev.LocationAdded) -> Recorded:
    return record(ledger, who, location)


def define_route(ledger: Ledger, who: Principal, route: ev.RouteDefined) -> Recorded:
    return record(ledger, who, route)


def register_vehicle(ledger: Ledger, who: Principal, vehicle: ev.VehicleRegistered) -> Recorded:
    return record(ledger, who, vehicle)


def plan_convoy(ledger: Ledger, who: Principal, convoy: ev.ConvoyPlanned) -> Recorded:
    return record(ledger, who, convoy)
