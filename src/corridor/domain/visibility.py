"""Least data per role: what each role sees of each kind of record, in one table.

Every read — API, web page, export, the scoped pull — shapes its records with
`shape(kind, role, record)`, so a field this table does not give a role never leaves
the server, whichever way it is asked for. A field the table does not name is shown
to nobody: a column added to a projection stays hidden until someone decides here
who needs it.

The rules (issue 9, from a review that downloaded every person's whereabouts with a
checkpoint monitor's token):
- whereabouts — status, vehicle, place, removal reason and by whom — only to the
  coordinator, the tracing desk and the administrator (`SEES_WHEREABOUTS`);
- registrars, checkpoint monitors and reception (`SCOPED`) see names, but only of the
  people their post's task needs: which people that is, the read services decide
  (`services.reads`); this table says which of their fields;
- partners get no name, no free text (hold reasons, incident descriptions, who
  reported, notes) and no small count: counts are suppressed (`suppressed`), the
  casualties of an incident included, since one wounded child on one bus at one
  time identifies her.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from corridor.domain.permissions import COORDINATES, SEES_PERSONS, SEES_WHEREABOUTS
from corridor.domain.vocabulary import Role

# Counts below this are shown to partners as "fewer than" (small-cell suppression).
SUPPRESS_BELOW = 5

EVERYONE = frozenset(Role)
STAFF = SEES_PERSONS
WHEREABOUTS = SEES_WHEREABOUTS
# Field roles: they see names, but only of the people their post's task needs.
SCOPED = frozenset({Role.REGISTRAR, Role.CHECKPOINT_MONITOR, Role.RECEPTION})
NOBODY: frozenset[Role] = frozenset()


@dataclass(frozen=True, slots=True)
class Seen:
    """Who sees a field as it is, and who sees it only as a suppressed count."""

    exact: frozenset[Role]
    suppressed: frozenset[Role] = NOBODY


def _all(roles: frozenset[Role], *fields: str) -> dict[str, Seen]:
    return dict.fromkeys(fields, Seen(roles))


def _counts(*fields: str) -> dict[str, Seen]:
    """Counts: exact for staff, suppressed for partners."""
    return dict.fromkeys(fields, Seen(STAFF, frozenset({Role.PARTNER})))


_IDENTITY = ("person_id", "household_id", "position", "given_name", "father_name",
             "family_name", "sex", "birth_year", "birth_year_estimated", "needs", "consent",
             "destination_id", "registered_at",
             "token")  # the household's boarding token, on every manifest
_WHEREABOUTS = ("status", "vehicle_id", "location_id", "removal_reason", "removed_by",
                "status_at", "merged_into")

# kind → field → who sees it. The kinds are what the read services return.
FIELDS: dict[str, dict[str, Seen]] = {
    "person": {**_all(STAFF, *_IDENTITY), **_all(WHEREABOUTS, *_WHEREABOUTS)},
    "household": {**_all(WHEREABOUTS | {Role.REGISTRAR}, "household_id", "gathering_point_id",
                         "token", "registered_at", "members"),
                  **_all(WHEREABOUTS, "device_id")},
    "queue_entry": _all(WHEREABOUTS | {Role.REGISTRAR}, "household_id", "token", "priority",
                        "waiting", "person_ids", "needs"),
    "vehicle": _all(EVERYONE, "vehicle_id", "kind", "label", "capacity", "organisation_id",
                    "convoy_id", "last_checkpoint_id", "arrived_at_id"),
    "manifest": _all(STAFF, "vehicle", "convoy", "route", "persons", "passages", "on_board"),
    "passage": _all(STAFF, "convoy_id", "vehicle_id", "checkpoint_id", "headcount",
                    "on_board_before", "passed_at"),
    "convoy": {**_all(EVERYONE, "convoy_id", "label", "route_id", "vehicle_ids", "state",
                      "location_id", "departed_at", "updated_at", "route_name", "stops",
                      "vehicles", "day", "history", "location_name"),
               # Why a convoy is held or turned back: free text, may name people.
               **_all(STAFF, "reason")},
    # A vehicle on one convoy's trip (services.views.convoys).
    "convoy_vehicle": {**_all(EVERYONE, "vehicle_id", "label", "kind", "capacity",
                              "stop_index", "counted_where", "counted_where_name",
                              "counted_at", "arrived_at_id", "arrived_at_name", "arrived_at"),
                       **_counts("on_board", "boarded", "checked_in", "removed",
                                 "to_check_in", "counted", "expected"),
                       **_all(STAFF, "open_alerts", "over_capacity", "mismatch")},
    # What happened to a convoy, and its vehicles' headcounts at a stop (the convoy page).
    "convoy_event": {**_all(EVERYONE, "kind", "at", "location_id", "location_name", "vehicle"),
                     **_all(STAFF, "reason")},
    "convoy_count": {**_all(EVERYONE, "checkpoint_id", "vehicle_id", "label", "at", "last"),
                     **_counts("headcount", "expected")},
    "alert": {**_all(STAFF, "alert_id", "kind", "status", "vehicle_id", "convoy_id",
                     "location_id", "expected", "counted", "missing", "opened_at",
                     "resolved_at", "explained_at"),
              # Who is missing, the resolution's free text, and the facts that explain
              # an alert (who checked in where, who was removed) are whereabouts.
              **_all(WHEREABOUTS, "person_ids", "resolved_by", "resolution",
                     "resolved_pushed_by", "recorder_mismatch", "explained_by")},
    "incident": {**_all(EVERYONE, "incident_id", "type", "occurred_at", "location_id",
                        "convoy_id", "vehicle_id"),
                 **_counts("killed", "injured"),
                 **_all(STAFF, "reported_by", "description", "recorded_by", "pushed_by",
                        "recorder_mismatch")},
    "conflict": _all(COORDINATES, "event_id", "seq", "event_type", "reason", "applied",
                     "waiting", "recorded_by", "device_id", "pushed_by", "recorder_mismatch"),
    "reject": _all(COORDINATES, "id", "event_id", "received_at", "pushed_by", "device_id",
                   "reason", "body"),
    "operation": _all(EVERYONE, "name", "description", "illustrative", "opened_at"),
    "counts": {**_counts("registered", "households", "by_status", "by_need", "open_alerts",
                         "awaiting_review", "merged", "movements"),
               # Convoys and vehicles, not people: the board shows them to everyone.
               **_all(EVERYONE, "convoys_on_the_road", "vehicles_on_the_road")},
}

# kind → the roles that may read it at all (any field). SCOPED roles among them read
# only the records of their post's task.
READS: dict[str, frozenset[Role]] = {
    kind: frozenset().union(*(seen.exact | seen.suppressed for seen in fields.values()))
    for kind, fields in FIELDS.items()}
# The people nobody can place: whereabouts by definition.
READS["unaccounted"] = WHEREABOUTS


def may_read(kind: str, role: Role) -> bool:
    return role in READS[kind]


def sees(kind: str, field: str, role: Role) -> bool:
    """Whether `role` sees this field exactly (for a page deciding to show a column)."""
    seen = FIELDS[kind].get(field)
    return seen is not None and role in seen.exact


def suppressed(value: int) -> int | str:
    """A count fit for partners: cells under 5 hidden and the rest rounded to the
    nearest 5, so that a total minus the visible cells cannot reveal a hidden one."""
    if 0 < value < SUPPRESS_BELOW:
        return f"<{SUPPRESS_BELOW}"
    return SUPPRESS_BELOW * round(value / SUPPRESS_BELOW)


def _suppress(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _suppress(v) for k, v in value.items()}
    return suppressed(value) if isinstance(value, int) and not isinstance(value, bool) else value


def shape(kind: str, role: Role, record: Mapping[str, Any]) -> dict[str, Any]:
    """The record as `role` may see it: the fields the table gives it, counts suppressed
    where it says so, every other field left out."""
    fields = FIELDS[kind]
    shaped: dict[str, Any] = {}
    for name, value in record.items():
        seen = fields.get(name)
        if seen is None:
            continue
        if role in seen.exact:
            shaped[name] = value
        elif role in seen.suppressed:
            shaped[name] = _suppress(value)
    return shaped


def shape_all(kind: str, role: Role, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [shape(kind, role, record) for record in records]
