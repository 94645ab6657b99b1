"""What happens on each day of the evacuation, 15–22 December 2016, told in events.

`Evacuation.run` is the week in order and each day is one method, its docstring what
public reporting said happened (OCHA, WHO, ICRC, Reuters): the first convoys of
15 Dec, the convoy sent back from a militia checkpoint on 16 Dec, the pause, the
ten-hour wait in the cold on 18 Dec, the 46-bus convoy of 19 Dec, the day-long delay
of 21 Dec and the last four buses on the evening of 22 Dec. Figures are approximate
and scaled to the operation's size. How people register, how convoys board and
drive, and the tracing desk's cases are the other modules' business; here is only
when, where and what went wrong.
"""

from __future__ import annotations

import math
import random
from datetime import timedelta

from corridor.demo import tracing
from corridor.demo.convoys import Convoys, Removal, Trip
from corridor.demo.population import Population
from corridor.demo.scenario import (
    CHECKPOINTS,
    COORDINATOR,
    LEAVING,
    LEG,
    LOCATIONS,
    MEDICAL,
    MILITIA,
    MINUTE,
    PARTIES,
    ROUTES,
    START,
    UN_MONITORS,
    Operation,
    at,
    monitor,
)


class Evacuation:
    """The operation told in events, each stamped with its device time."""

    def __init__(self, rng: random.Random, people: int) -> None:
        self.op = Operation(rng, people)
        self.population = Population(self.op)
        self.convoys = Convoys(self.op)
        self.incidents = 0
        # The tracing desk's planted cases: who was registered twice (first record,
        # second), who each request seeks, and the sought person who never arrived.
        self.registered_again: list[tuple[str, str]] = []
        self.sought: dict[str, str] = {}
        self.unaccounted_sought: str | None = None

    def run(self) -> None:
        """The week in order, then the tracing desk's cases written against it."""
        self.open(at(15, 4))
        families = self.population.households()
        self.convoys.wait(self.population.register(families))
        self.day_15()
        self.day_16()
        self.days_17_18()
        self.day_19()
        self.day_20()
        self.day_21()
        self.day_22()
        self.registered_again = tracing.registered_twice(self.op, self.population, families)
        self.sought, self.unaccounted_sought = tracing.families_asking(
            self.op, self.population, families)
        self.epilogue()

    def open(self, t: int) -> None:
        """Before dawn on 15 Dec: the operation, its parties, places, routes and fleet."""
        self.op.emit(t, "OperationOpened", {
            "name": "East Aleppo evacuation (illustrative)",
            "description": (
                "ILLUSTRATIVE DEMO, not a record of real events. Every person in it is "
                "generated: names are synthesised from common given and family names. "
                "Modelled on public reporting of the evacuation of east Aleppo, 15-22 "
                "December 2016 (OCHA, WHO, ICRC, Reuters); figures and times are "
                f"approximate and scaled to {self.op.people:,} people."),
            "illustrative": True}, COORDINATOR)
        for step, (party_id, name, kind, description) in enumerate(PARTIES, 1):
            self.op.emit(t + step, "PartyRegistered", {
                "party_id": party_id, "name": name, "kind": kind, "description": description},
                COORDINATOR)
        for step, (location_id, kind, name, lat, lon, held_by) in enumerate(LOCATIONS, 20):
            self.op.emit(t + step, "LocationAdded", {
                "location_id": location_id, "kind": kind, "name": name, "latitude": lat,
                "longitude": lon, "held_by": held_by}, COORDINATOR)
        for step, route in enumerate([*ROUTES, *MEDICAL.values()], 40):
            self.op.emit(t + step, "RouteDefined", {
                "route_id": route.route_id, "name": route.name, "origin_id": route.origin,
                "checkpoint_ids": list(CHECKPOINTS), "destination_id": route.destination},
                COORDINATOR)
        self.convoys.register_fleet(t + 60)

    def incident(self, t: int, kind: str, reported_by: str, description: str,
                 trip: Trip | None = None, location: str | None = None, killed: int = 0,
                 injured: int = 0, vehicle: str | None = None) -> None:
        """An incident at t, reported ten minutes later."""
        self.incidents += 1
        occurred = (START + timedelta(seconds=t)).isoformat()
        self.op.emit(t + 10 * MINUTE, "IncidentReported", {
            "incident_id": f"incident-{self.incidents:02d}", "type": kind,
            "occurred_at": occurred, "location_id": location,
            "convoy_id": trip.convoy_id if trip else None, "vehicle_id": vehicle,
            "killed": killed, "injured": injured, "reported_by": reported_by,
            "description": description}, COORDINATOR)

    # --- the days ---------------------------------------------------------------------------

    def day_15(self) -> None:
        """WHO: the first convoys, 21 buses and 19 ambulances; a militia fired on the first."""
        convoys, scaled = self.convoys, self.op.scaled
        budget = LEAVING[15] * convoys.movers
        moved = convoys.medical(at(15, 9, 30), "amiriyah", 1, scaled(19, 3))
        trip = convoys.story_convoy(at(15, 9, 35), at(15, 9, 50), convoys.busiest(
            at(15, 9, 50), "amiriyah"), scaled(21, 2))
        departed = convoys.depart(trip, at(15, 11))
        self.incident(departed + 25 * MINUTE, "shooting", "ICRC",
                      "Shots fired at the first convoy on the road to Ramouseh (as reported); "
                      "several passengers injured.", trip, "ramouseh", injured=3)
        moved += convoys.drive(trip, departed)
        convoys.regular(at(15, 13), at(15, 23), budget - moved)

    def day_16(self) -> None:
        """Overnight convoys, then a convoy sent back from a militia checkpoint; the
        evacuation halts and a boarded convoy is called off in the evening."""
        convoys, scaled = self.convoys, self.op.scaled
        convoys.regular(at(16, 0, 30), at(16, 3), LEAVING[16] * convoys.movers)
        trip = convoys.story_convoy(at(16, 4, 30), at(16, 4, 45), convoys.busiest(at(16, 4, 45)),
                                    scaled(16, 2))
        departed = convoys.depart(trip, at(16, 5, 30))
        stopped = departed + 12 * MINUTE
        convoys.hold(trip, stopped, "Stopped at the militia checkpoint; men taken off the buses "
                     "and searched", "salah-al-din")
        for n in range(3):
            vehicle = n % len(trip.vehicles)
            removal = Removal(vehicle, "salah-al-din", convoys.man(trip, vehicle), "detained",
                              MILITIA, "Taken off the bus at the checkpoint; whereabouts unknown")
            convoys.remove(trip, removal, stopped + (20 + 15 * n) * MINUTE)
        self.incident(stopped + 60 * MINUTE, "detention", "ICRC",
                      "Convoy of 800-1,000 people stopped at a militia checkpoint; men "
                      "stripped and robbed; 4 killed (as reported); convoy sent back.", trip,
                      "salah-al-din", killed=4)
        self.op.emit(at(16, 9), "ConvoyTurnedBack", {
            "convoy_id": trip.convoy_id, "location_id": "salah-al-din",
            "reason": "Sent back by the militia holding the checkpoint"}, monitor("salah-al-din"))
        self.op.emit(at(16, 10), "ConvoyReturned", {"convoy_id": trip.convoy_id}, COORDINATOR)
        convoys.back_to_waiting(trip, at(16, 10))

        halted = convoys.story_convoy(at(16, 10, 30), at(16, 10, 45),
                                      convoys.busiest(at(16, 10, 45), "sukkari"), scaled(10, 2))
        convoys.hold(halted, halted.boarded_by + 15 * MINUTE,
                     "Evacuation halted: the parties blame each other; Russia declares the "
                     "evacuation completed while thousands still wait")
        self.op.emit(at(16, 18), "ConvoyAborted", {
            "convoy_id": halted.convoy_id,
            "reason": "Evacuation suspended overnight; passengers back to the gathering point"},
            COORDINATOR)
        convoys.back_to_waiting(halted, at(16, 18))

    def days_17_18(self) -> None:
        """The pause, a new deal linked to Foua and Kefraya, buses burned, and the first
        5 buses leaving at 23:00 after 10+ hours waiting on board in sub-zero cold."""
        convoys = self.convoys
        trip = convoys.story_convoy(at(17, 9), at(18, 12), convoys.busiest(at(18, 12), "sukkari"),
                                    self.op.scaled(5, 2))
        convoys.hold(trip, at(17, 9, 30), "Evacuation suspended pending a new agreement")
        convoys.release(trip, at(18, 11, 30),
                        "New agreement links east Aleppo to Foua and Kefraya")
        convoys.hold(trip, max(at(18, 12, 45), trip.boarded_by + 5 * MINUTE),
                     "Passengers held on board until the buses reach Foua and Kefraya")
        self.incident(at(18, 14), "other", "ICRC",
                      "Buses sent to evacuate Foua and Kefraya burned (5-7 reported); "
                      "movement from east Aleppo stalls.")
        self.incident(at(18, 20), "weather", "WHO",
                      "Sub-zero cold; people held on the buses for 10+ hours; 18 infants "
                      "without milk (as reported).", trip, trip.route.origin)
        convoys.release(trip, at(18, 22, 45), "Foua and Kefraya movement agreed to start")
        convoys.drive(trip, convoys.depart(trip, at(18, 23)))

    def day_19(self) -> None:
        """Resumed under UNSC resolution 2328 with UN monitors at Ramouseh; a 46-bus
        convoy reaches al-Rashideen. Two men detained at the militia checkpoint."""
        convoys = self.convoys
        self.op.emit(at(19, 8), "PartyRegistered", dict(zip(
            ("party_id", "name", "kind", "description"), UN_MONITORS, strict=True)),
            COORDINATOR)
        trip = convoys.story_convoy(at(19, 8, 30), at(19, 8, 45), convoys.busiest(at(19, 8, 45)),
                                    self.op.scaled(46, 3))
        first = convoys.man(trip, 0)
        removals = tuple(Removal(0, "salah-al-din", person_id, "detained", MILITIA,
                                 "Separated from his family at the checkpoint", after)
                         for person_id, after in ((first, False),
                                                  (convoys.man(trip, 0, (first,)), True)))
        moved = convoys.drive(trip, convoys.depart(trip, at(19, 10)), removals)
        convoys.regular(at(19, 11), at(19, 23), LEAVING[19] * convoys.movers - moved)

    def day_20(self) -> None:
        """A medical removal, and one bus where the count does not add up: two fewer
        at al-Rashideen but only one removal recorded, and one person never checked in."""
        convoys = self.convoys
        trip = convoys.story_convoy(at(20, 5, 30), at(20, 5, 45), convoys.busiest(at(20, 5, 45)),
                                    self.op.scaled(20, 2))
        # The unexplained gap is on another bus, if one has a few people on it.
        others = [i for i in range(1, len(trip.vehicles)) if len(trip.aboard[i]) >= 3]
        odd = others[0] if others else 0
        sick = convoys.man(trip, 0)
        taken = convoys.man(trip, odd, (sick,))
        gone = convoys.man(trip, odd, (sick, taken))
        removals = (
            Removal(0, "ramouseh", sick, "medical", "SARC",
                    "Collapsed on the bus; taken to a field hospital by SARC"),
            Removal(odd, "rashideen", taken, "medical", "SARC", "Taken off for treatment"),
        )
        departed = convoys.depart(trip, at(20, 6, 30))
        self.incident(departed + 25 * MINUTE, "medical", "WHO",
                      "Passenger collapsed on the way; taken off at Ramouseh for treatment.",
                      trip, "ramouseh", vehicle=trip.vehicles[0].vehicle_id)
        moved = convoys.drive(trip, departed, removals, (odd, "rashideen", gone))
        convoys.regular(at(20, 8), at(20, 23), LEAVING[20] * convoys.movers - moved)

    def day_21(self) -> None:
        """~24 h delay with 60 buses waiting; people board in the afternoon, the
        convoys leave the next morning."""
        convoys = self.convoys
        trips: list[Trip] = []
        buses = self.op.scaled(60, 3)
        while buses > 0 and (route := convoys.busiest(at(21, 14) + len(trips) * 20 * MINUTE)):
            n = len(trips)
            trip = convoys.story_convoy(at(21, 5) + n * 10 * MINUTE,
                                        at(21, 14) + n * 20 * MINUTE, route, min(46, buses))
            convoys.hold(trip, at(21, 6) + n * MINUTE,
                         "Delay: waiting for the agreed evacuation of Foua and Kefraya")
            buses -= len(trip.vehicles)
            trips.append(trip)
        self.incident(at(21, 12), "blockage", "UN monitors",
                      f"About 24 h delay; {sum(len(t.vehicles) for t in trips)} buses waiting "
                      "at the gathering points.", trips[0], "ramouseh")
        for n, trip in enumerate(trips):
            convoys.release(trip, at(22, 5, 30) + n * MINUTE,
                            "Movement from Foua and Kefraya started")
            convoys.drive(trip, convoys.depart(trip, at(22, 6) + n * 15 * MINUTE))

    def day_22(self) -> None:
        """Everyone left waiting goes; the last 4 buses leave Ramouseh at 20:25."""
        convoys = self.convoys
        convoys.regular(at(22, 8), at(22, 16, 30), math.inf, last_day=True)
        route = next(r for r in ROUTES if (r.origin, r.destination) == ("amiriyah", "idlib"))
        people = sum(len(h.members) for h in convoys.waiting(route, at(22, 19, 25)))
        trip = convoys.story_convoy(at(22, 19), at(22, 19, 25), route,
                                    min(4, math.ceil(people / 50)))
        convoys.drive(trip, convoys.depart(trip, at(22, 20, 25) - LEG["ramouseh"] * MINUTE))

    # --- after the week ------------------------------------------------------------------

    def epilogue(self) -> None:
        """ILLUSTRATIVE, NOT REPORTED: latecomers reach al-Amiriyah on the night of 22 Dec,
        bound for Atareb, so that the demo opens with the field accounts' work under way.
        The first of them leave at 23:20 and are on the road, not yet counted at Salah
        al-Din; a bus boards at al-Amiriyah, part-full, while the last to come (a handful
        of households, more for a larger operation) wait in its queue. They are people
        beyond the operation's `people`, written after the tracing desk's cases so that
        the week stays as it was."""
        convoys, population = self.convoys, self.population
        route = next(r for r in ROUTES if (r.origin, r.destination) == ("amiriyah", "atareb"))
        buses = self.op.scaled(2, 1)
        # More than the buses on the road can take: the rest board the next bus.
        seats = sum(v.capacity for v in convoys.free("bus", at(22, 22, 30), buses))
        convoys.wait(population.latecomers("amiriyah", "atareb", at(22, 20, 30), at(22, 22),
                                           households=1, people=seats + 15))
        on_the_road = convoys.story_convoy(at(22, 22, 30), at(22, 22, 35), route, buses)
        convoys.depart(on_the_road, at(22, 23, 20))
        convoys.story_convoy(at(22, 23), at(22, 23, 5), route, 1)
        convoys.wait(population.latecomers("amiriyah", "atareb", at(22, 23, 10), at(22, 23, 50),
                                           households=self.op.scaled(15, 8)))
