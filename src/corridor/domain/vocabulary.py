"""The field's vocabulary as closed sets of values.

Every value is a lowercase snake_case string so it reads the same in the ledger,
the API, exports and the database.
"""

from enum import StrEnum


class Status(StrEnum):
    """Where a registered person is. Each person has exactly one at any moment."""

    WAITING = "waiting"
    ON_VEHICLE = "on_vehicle"
    ARRIVED = "arrived"
    REMOVED = "removed"
    STAYED = "stayed"
    UNACCOUNTED = "unaccounted"


class Need(StrEnum):
    """Specific needs that give priority at boarding (UNHCR, ICRC guidance)."""

    WOUNDED = "wounded"
    MEDICAL = "medical"
    UNACCOMPANIED_CHILD = "unaccompanied_child"
    SEPARATED_CHILD = "separated_child"
    ELDERLY = "elderly"
    DISABILITY = "disability"
    PREGNANT = "pregnant"


# Boarding order: the most urgent need a household has decides its place in the queue.
NEED_PRIORITY: dict[Need, int] = {
    Need.WOUNDED: 0,
    Need.MEDICAL: 1,
    Need.UNACCOMPANIED_CHILD: 2,
    Need.SEPARATED_CHILD: 2,
    Need.PREGNANT: 3,
    Need.DISABILITY: 4,
    Need.ELDERLY: 5,
}
NO_NEED_PRIORITY = 9


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"
    UNKNOWN = "unknown"


class LocationKind(StrEnum):
    GATHERING_POINT = "gathering_point"
    CHECKPOINT = "checkpoint"
    CROSSING = "crossing"
    RECEPTION = "reception"
    HOSPITAL = "hospital"


# Places a convoy passes on its way; a headcount is taken at each.
PASSAGE_KINDS = frozenset({LocationKind.CHECKPOINT, LocationKind.CROSSING})
# Places where people are checked in at the end of a trip.
ARRIVAL_KINDS = frozenset({LocationKind.RECEPTION, LocationKind.HOSPITAL})


class PartyKind(StrEnum):
    PARTY = "party"  # a party to the agreement or a force holding a checkpoint
    ORGANISATION = "organisation"  # a humanitarian or monitoring organisation


class VehicleKind(StrEnum):
    BUS = "bus"
    AMBULANCE = "ambulance"
    PRIVATE_CAR = "private_car"


class RemovalReason(StrEnum):
    DETAINED = "detained"
    MEDICAL = "medical"
    OTHER = "other"


class IncidentType(StrEnum):
    SHOOTING = "shooting"
    BLOCKAGE = "blockage"
    DETENTION = "detention"
    ACCIDENT = "accident"
    MEDICAL = "medical"
    WEATHER = "weather"
    OTHER = "other"


class ConvoyState(StrEnum):
    PLANNED = "planned"
    DEPARTED = "departed"
    HELD = "held"
    TURNED_BACK = "turned_back"
    RETURNED = "returned"
    ABORTED = "aborted"
    ARRIVED = "arrived"


class AlertKind(StrEnum):
    HEADCOUNT_SHORT = "headcount_short"  # fewer counted than the manifest minus recorded removals
    HEADCOUNT_OVER = "headcount_over"  # more counted than on the manifest
    NOT_CHECKED_IN = "not_checked_in"  # on an arrived vehicle, not checked in at reception
    OVER_CAPACITY = "over_capacity"  # boarded past the vehicle's capacity (recorded offline)


class AlertStatus(StrEnum):
    """Whether an alert's cause still holds, and what closed it."""

    OPEN = "open"  # the cause holds and nobody has written a note
    EXPLAINED = "explained"  # recorded facts explain it (the alert names them)
    RESOLVED = "resolved"  # a coordinator's note closed it; the cause still holds


class Role(StrEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    REGISTRAR = "registrar"
    CHECKPOINT_MONITOR = "checkpoint_monitor"
    RECEPTION = "reception"
    TRACING_OFFICER = "tracing_officer"
    PARTNER = "partner"
