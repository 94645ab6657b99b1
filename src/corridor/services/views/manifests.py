"""The manifest of one trip: a vehicle in one convoy, from the state.

A bus makes several trips, so its printed manifest is per trip: the people who
boarded it for that convoy, under that convoy's header. Before, the manifest listed
everyone whose status named the vehicle: 110 passengers for 55 seats across two trips
under one convoy's name.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from corridor.domain.state import OperationState
from corridor.domain.vocabulary import Status


def trip_manifest(state: OperationState, vehicle_id: str,
                  convoy_id: str | None) -> dict[str, Any] | None:
    """The trip of the vehicle in `convoy_id` (without one, the vehicle's current or
    last trip); None when the vehicle is not known or was not in that convoy."""
    vehicle = state.vehicles.get(vehicle_id)
    if vehicle is None:
        return None
    convoy = state.convoys.get(convoy_id or vehicle.convoy_id or "")
    if convoy_id is not None and (convoy is None or vehicle_id not in convoy.vehicle_ids):
        return None
    found: dict[str, Any] = {"vehicle": asdict(vehicle), "convoy": None, "route": None,
                             "persons": [], "passages": [], "on_board": 0}
    if convoy is None:
        return found
    trip = (convoy.convoy_id, vehicle_id)
    route = state.routes[convoy.route_id]
    stops = [route.origin_id, *route.checkpoint_ids, route.destination_id]
    people = sorted((state.persons[p] for p in state.movements.trip_people(trip)),
                    key=lambda p: (p.household_id, p.position))
    households = state.households
    found.update(
        convoy=asdict(convoy),
        route={"route_name": route.name, "stops": [
            {"location_id": s, "name": place.name if (place := state.locations.get(s)) else s}
            for s in stops]},
        persons=[{**asdict(p), "needs": sorted(p.needs),
                  "token": households[p.household_id].token
                  if p.household_id in households else None} for p in people],
        passages=[asdict(passage) for c in route.checkpoint_ids
                  if (passage := state.passages.get((*trip, c))) is not None],
        on_board=sum(p.status == Status.ON_VEHICLE and state.movements.trip_of(p.person_id)
                     == trip for p in people))
    return found
