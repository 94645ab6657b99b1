"""Which role may record which facts, and who may see personal data.

Least privilege: each field role records only what its post witnesses. A
checkpoint monitor records passages and removals, not registrations; partners
record nothing and never see a name.
"""

from corridor.domain.events import PAYLOADS
from corridor.domain.vocabulary import Role

_REGISTRAR = {"HouseholdRegistered", "PersonRegistered", "TokenIssued", "PersonStayed",
              "PersonBoarded", "PersonDisembarked"}
_CHECKPOINT = {"CheckpointPassed", "PersonRemoved", "ConvoyHeld", "ConvoyReleased",
               "ConvoyTurnedBack", "IncidentReported"}
_RECEPTION = {"VehicleArrived", "PersonCheckedIn", "IncidentReported", "TracingRequestFiled"}
_TRACING = {"TracingRequestFiled", "TracingCandidateReviewed", "TracingRequestClosed",
            "DuplicateReviewed", "PersonsUnmerged"}

MAY_RECORD: dict[Role, frozenset[str]] = {
    Role.ADMIN: frozenset(PAYLOADS),
    Role.COORDINATOR: frozenset(PAYLOADS),
    Role.REGISTRAR: frozenset(_REGISTRAR),
    Role.CHECKPOINT_MONITOR: frozenset(_CHECKPOINT),
    Role.RECEPTION: frozenset(_RECEPTION),
    Role.TRACING_OFFICER: frozenset(_TRACING),
    Role.PARTNER: frozenset(),
}

# Roles that may see names and other personal fields. Partners see counts only.
SEES_PERSONS = frozenset(Role) - {Role.PARTNER}
# Roles that may push events from a device.
SYNCS = frozenset({Role.ADMIN, Role.COORDINATOR, Role.REGISTRAR, Role.CHECKPOINT_MONITOR,
                   Role.RECEPTION})
# The whole ledger, every name in it, goes to the administrator (and replication) only;
# field roles pull their post's scope (services.scoped_pull).
PULLS_LEDGER = frozenset({Role.ADMIN})
PULLS_SCOPE = frozenset({Role.REGISTRAR, Role.CHECKPOINT_MONITOR, Role.RECEPTION})
# Roles that run the operation: plan convoys, resolve alerts, import lists.
COORDINATES = frozenset({Role.ADMIN, Role.COORDINATOR})
# Roles that may search for people by name (every search is audited and rate limited)...
SEARCHES = frozenset({Role.ADMIN, Role.COORDINATOR, Role.TRACING_OFFICER, Role.RECEPTION,
                      Role.REGISTRAR})
# ...and those who may also see where a person is now (status, vehicle, place).
SEES_WHEREABOUTS = frozenset({Role.ADMIN, Role.COORDINATOR, Role.TRACING_OFFICER})
# Those who take tracing requests: the tracing desk, and reception where families ask.
HANDLES_REQUESTS = SEES_WHEREABOUTS | {Role.RECEPTION}
# Who prints code cards (docs/codes.md): token cards and wristbands at registration,
# and vehicle cards, which are a convoy's, by coordinators alone.
PRINTS_TOKENS = frozenset({Role.REGISTRAR, Role.COORDINATOR})
PRINTS_VEHICLE_CARDS = frozenset({Role.COORDINATOR})
