"""When `corridor demo` opens: mid-operation, with convoys on the road.

A newcomer should see vehicles on their way, not a week that is over, and the demo's
field accounts should each find work at their post. So the demo opens on the
afternoon or evening of 20 Dec (a day convoys ran freely) at the first moment, on a
five-minute grid, when the most of these hold: a convoy is boarding at the
registrar's gathering point, a vehicle on the road is still to be counted at the
monitor's checkpoint, and a convoy on the road is heading to reception's centre.
At 35,000 people that is 17:45 Syrian time, all three; at smaller sizes fewer hold
at once, and a convoy on the road always does. It is read from the generated events,
so the same seed opens at the same moment.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from corridor.demo.scenario import SYRIA

# The demo accounts' posts (cli.DEMO_USERS): whose work the opening moment is chosen for.
GATHERING_POINT, CHECKPOINT, RECEPTION = "amiriyah", "salah-al-din", "atareb"
FROM, UNTIL = datetime(2016, 12, 20, 12, tzinfo=SYRIA), datetime(2016, 12, 21, tzinfo=SYRIA)
STEP = timedelta(minutes=5)
GONE = frozenset({"ConvoyTurnedBack", "ConvoyReturned", "ConvoyAborted"})


class _Road:
    """Which convoys are boarding or on the road, from the events taken in so far."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[str, str]] = {}  # route -> (origin, destination)
        self.convoys: dict[str, tuple[str, list[str]]] = {}  # convoy -> (route, vehicles)
        self.state: dict[str, str] = {}
        self.trip: dict[str, str] = {}  # vehicle -> its current convoy
        self.counted: set[tuple[str, str, str]] = set()  # (convoy, vehicle, checkpoint)
        self.arrived: set[tuple[str, str]] = set()

    def take(self, event: dict[str, Any]) -> None:
        kind, p = event["type"], event["payload"]
        if kind == "RouteDefined":
            self.routes[p["route_id"]] = (p["origin_id"], p["destination_id"])
        elif kind == "ConvoyPlanned":
            self.convoys[p["convoy_id"]] = (p["route_id"], p["vehicle_ids"])
            self.state[p["convoy_id"]] = "planned"
            self.trip.update(dict.fromkeys(p["vehicle_ids"], p["convoy_id"]))
        elif kind == "ConvoyDeparted":
            self.state[p["convoy_id"]] = "departed"
        elif kind in GONE:
            self.state[p["convoy_id"]] = "gone"
        elif kind == "CheckpointPassed":
            self.counted.add((self.trip[p["vehicle_id"]], p["vehicle_id"], p["checkpoint_id"]))
        elif kind == "VehicleArrived":
            self.arrived.add((self.trip[p["vehicle_id"]], p["vehicle_id"]))

    def work(self) -> int:
        """How many of the three posts have work now; 0 when nothing is on the road."""
        road = [c for c, state in self.state.items() if state == "departed"
                and any((c, v) not in self.arrived for v in self.convoys[c][1])]
        if not road:
            return 0
        boarding = any(state == "planned" and self._ends(c)[0] == GATHERING_POINT
                       for c, state in self.state.items())
        to_count = any((c, v, CHECKPOINT) not in self.counted
                       for c in road for v in self.convoys[c][1])
        heading = any(self._ends(c)[1] == RECEPTION for c in road)
        return 1 + boarding + to_count + heading

    def _ends(self, convoy_id: str) -> tuple[str, str]:
        return self.routes[self.convoys[convoy_id][0]]


def opening(events: Iterable[dict[str, Any]]) -> datetime:
    """The moment the demo opens at, for these events (generate()'s, in clock order)."""
    road = _Road()
    best, best_work = FROM, -1
    moment = FROM
    for event in events:
        recorded = datetime.fromisoformat(event["recorded_at"])
        while recorded > moment and moment < UNTIL:
            if (work := road.work()) > best_work:
                best, best_work = moment, work
            moment += STEP
        if moment >= UNTIL:
            break
        road.take(event)
    return best
