"""The operation's setting: its places, parties, routes and days, the posts that record it.

All of it is data, taken from public reporting of December 2016 (OCHA, WHO, ICRC,
Reuters) and scaled to the operation's size: FULL_SCALE is the 35,000 people who left.
The moving parts (population, convoys, story, tracing) read it, and they share one
`Operation`, because the same seed gives the same events only while every random
draw and every event comes in the same order.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

SYRIA = timezone(timedelta(hours=2))  # Syria kept UTC+2 through the winter of 2016
START = datetime(2016, 12, 15, tzinfo=SYRIA)  # times below are seconds after this
FULL_SCALE = 35_000  # OCHA citing ICRC: 35,000+ people left east Aleppo
MIN_PEOPLE = 1_000  # fewer cannot fill every convoy the story needs
MINUTE, HOUR, DAY = 60, 3600, 86_400

# --- the places, parties and routes of the operation ----------------------------------

PARTIES = (  # (party_id, name, kind, description)
    ("gov", "Government forces", "party",
     "Party to the agreement; holds the Ramouseh crossing."),
    ("opposition", "Opposition armed groups", "party",
     "Party to the agreement; hold al-Rashideen on the western side."),
    ("militia", "Allied militia", "party",
     "Pro-government militia holding the Salah al-Din checkpoint."),
    ("icrc", "ICRC", "organisation",
     "International Committee of the Red Cross: coordinates the evacuation."),
    ("sarc", "SARC", "organisation",
     "Syrian Arab Red Crescent: buses, ambulances and registration."),
    ("who", "WHO", "organisation", "World Health Organization: medical evacuations."),
)
UN_MONITORS = ("un-monitors", "UN monitors", "organisation",
               "Neutral monitoring under UN Security Council resolution 2328, "
               "at the Ramouseh crossing from 19 Dec.")
MILITIA = "Allied militia"

LOCATIONS = (  # (location_id, kind, name, latitude, longitude, held_by)
    ("amiriyah", "gathering_point", "al-Amiriyah", 36.1769, 37.1352, None),
    ("sukkari", "gathering_point", "Sukkari square", 36.1786, 37.1585, None),
    ("salah-al-din", "checkpoint", "Salah al-Din checkpoint", 36.1842, 37.1296, "militia"),
    ("ramouseh", "crossing", "Ramouseh crossing", 36.1660, 37.1180, "gov"),
    ("rashideen", "checkpoint", "al-Rashideen (Rashidin-4) / Khan al-Asal staging",
     36.1672, 37.0392, "opposition"),
    ("atareb", "reception", "Atareb reception centre", 36.1386, 36.8306, None),
    ("sarmada", "reception", "Sarmada reception centre", 36.1793, 36.7190, None),
    ("idlib", "reception", "Idlib reception centre", 35.9306, 36.6339, None),
    ("bab-al-hawa", "hospital", "Bab al-Hawa hospital", 36.2310, 36.6700, None),
)
PLACE = {loc[0]: loc[2] for loc in LOCATIONS}
GATHERING = ("amiriyah", "sukkari")
CHECKPOINTS = ("salah-al-din", "ramouseh", "rashideen")  # ~12 km, three different forces
RECEPTIONS = ("atareb", "sarmada", "idlib")
HOSPITAL = "bab-al-hawa"
DESTINATION_WEIGHTS = (35, 25, 40)  # the evacuee's own choice among RECEPTIONS
# Minutes after departure to reach each checkpoint, then each destination.
LEG = {"salah-al-din": 15, "ramouseh": 30, "rashideen": 60}
ARRIVE = {"atareb": 110, "sarmada": 140, "idlib": 160, "bab-al-hawa": 150}


@dataclass(frozen=True, slots=True)
class Route:
    route_id: str
    origin: str
    destination: str

    @property
    def name(self) -> str:
        return f"{PLACE[self.origin]} → {PLACE[self.destination]}"


ROUTES = [Route(f"{gp}-{dest}", gp, dest) for gp in GATHERING for dest in RECEPTIONS]
MEDICAL = {gp: Route(f"{gp}-{HOSPITAL}", gp, HOSPITAL) for gp in GATHERING}

# --- the days -------------------------------------------------------------------------

# Share of all households registered each day: (day, from hour, to hour, share, share
# at al-Amiriyah). ~15,000 waited in Sukkari square on 18 Dec.
REGISTRATION = (
    (15, 4.5, 20, 0.40, 0.75), (16, 6, 18, 0.10, 0.6), (17, 8, 17, 0.07, 0.5),
    (18, 7, 18, 0.10, 0.2), (19, 6, 20, 0.13, 0.5), (20, 6, 20, 0.12, 0.5),
    (21, 6, 13, 0.08, 0.5),
)
# Share of evacuees leaving on the days convoys ran freely; 22 Dec takes the rest.
LEAVING = {15: 0.22, 16: 0.05, 19: 0.25, 20: 0.22}


def at(day: int, hour: float, minute: int = 0) -> int:
    """Seconds after 15 Dec 2016 00:00 Syrian time."""
    return (day - 15) * DAY + round(hour * HOUR) + minute * MINUTE


# --- the posts that record it ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Post:
    """A device in the field and the account using it; its clock's offset."""

    device_id: str
    author: str
    tz: timezone


COORDINATOR = Post("icrc-ops-laptop", "icrc-coordinator", UTC)


def registrar(gp: str, n: int) -> Post:
    return Post(f"sarc-tablet-{gp}-{n}", f"sarc-registrar-{gp}-{n}", SYRIA)


def monitor(place: str) -> Post:
    return Post(f"monitor-{place}", f"icrc-monitor-{place}", UTC)


def reception(place: str) -> Post:
    return Post(f"reception-{place}", f"sarc-reception-{place}", SYRIA)


class Operation:
    """What every part of the demo shares: the operation's size, the one random source,
    and the events written so far as (device time, order written, type, payload, post)."""

    def __init__(self, rng: random.Random, people: int) -> None:
        self.rng = rng
        self.people = people
        self.scale = people / FULL_SCALE
        self.events: list[tuple[int, int, str, dict[str, Any], Post]] = []

    def emit(self, t: int, kind: str, payload: dict[str, Any], post: Post) -> None:
        self.events.append((t, len(self.events), kind, payload, post))

    def scaled(self, full: int, minimum: int) -> int:
        """A figure reported for the full operation, scaled to this one's size."""
        return max(minimum, round(full * self.scale))
