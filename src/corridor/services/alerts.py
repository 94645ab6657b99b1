"""The alerts, now or as of any moment (`timeline.read_at`), for the API and the web
UI: computed from the state by `views.alerts`, a field post's limited to the vehicles
of its task (`reads.scope_of`), shaped by role (`domain.visibility`) and audited.

Who is missing and what explains an alert (who checked in where, who was removed)
are whereabouts: the roles that see whereabouts get them, with the people's names.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from corridor.domain.visibility import may_read, shape, shape_all
from corridor.services import timeline
from corridor.services.audit import audited
from corridor.services.ledger import Ledger, Principal
from corridor.services.reads import ReadRefused, Scope, audit_action, scope_of
from corridor.services.timeline import Moment
from corridor.services.views import alerts as view


def _may(principal: Principal) -> None:
    if not may_read("alert", principal.role):
        raise ReadRefused(403, f"the {principal.role} role may not read alert records")


def _in_scope(scope: Scope | None, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A field post's alerts are those of the vehicles of its task."""
    return rows if scope is None else [a for a in rows if a["vehicle_id"] in scope.vehicle_ids]


def _named(rows: list[dict[str, Any]]) -> list[str]:
    """The people shaped alerts name: those missing and those whose facts explain them."""
    return [p for row in rows for p in [*row.get("person_ids", []),
                                        *(f["person_id"] for f in row.get("explained_by", [])
                                          if f["person_id"])]]


def _when(when: Moment) -> str:
    return "" if when.now else f" as_of={when.seq}"


def listed(ledger: Ledger, principal: Principal, when: Moment,
           status: str | None) -> list[dict[str, Any]]:
    """Alerts of one status (all when None) as they stood at `when`."""
    _may(principal)
    rows = timeline.read_at(ledger, when, lambda state: view.alerts(state, status))
    return audited(ledger.engine, principal, audit_action(principal, "list alerts"),
                   lambda conn: shape_all("alert", principal.role,
                                          _in_scope(scope_of(conn, principal), rows)),
                   lambda found: f"status={status}{_when(when)} returned={len(found)}",
                   persons=_named)


def overview(ledger: Ledger, principal: Principal, when: Moment,
             unaccounted_shown: int, closed_shown: int) -> dict[str, Any]:
    """The alerts page: open alerts, the latest `closed_shown` closed ones and how many
    there are, and for the roles that see whereabouts the unaccounted and the names of
    the people the alerts name."""
    _may(principal)
    whereabouts = may_read("unaccounted", principal.role)
    found = timeline.read_at(ledger, when, lambda state: view.overview(state, unaccounted_shown))

    def read(conn: Connection) -> dict[str, Any]:
        role = principal.role
        scope = scope_of(conn, principal)
        closed = _in_scope(scope, found["closed"])
        shown = {**found, "open_alerts": shape_all("alert", role,
                                                   _in_scope(scope, found["open_alerts"])),
                 "closed": shape_all("alert", role, closed[:closed_shown]),
                 "total_closed": len(closed)}
        if whereabouts:
            shown["missing"] = shape_all("person", role, found["missing"])
            shown["people"] = {p: shape("person", role, row) for p, row in found["people"].items()}
        else:
            shown.update(missing=[], total_missing=None, people={})
        return shown

    return audited(ledger.engine, principal, audit_action(principal, "view alerts"), read,
                   lambda shown: f"open={len(shown['open_alerts'])}{_when(when)} "
                   f"unaccounted_shown={len(shown['missing'])}",
                   persons=lambda shown: list(shown["people"]))


def detail(ledger: Ledger, principal: Principal, when: Moment, alert_id: str) -> dict[str, Any]:
    """One alert as it stood at `when`: ReadRefused 404 (field alert_id) for one not
    raised then, or outside a field post's task."""
    _may(principal)
    whereabouts = may_read("unaccounted", principal.role)
    found = timeline.read_at(ledger, when, lambda state: view.detail(state, alert_id))

    def read(conn: Connection) -> dict[str, Any] | None:
        if found is None or not _in_scope(scope_of(conn, principal), [found["alert"]]):
            return None
        role = principal.role
        people = found["people"] if whereabouts else {}
        return {**found, "alert": shape("alert", role, found["alert"]),
                "people": {p: shape("person", role, row) for p, row in people.items()},
                **{key: shape_all("person", role, found[key]) if whereabouts else []
                   for key in ("aboard", "unplaced")}}

    shown = audited(ledger.engine, principal, audit_action(principal, "view alert"), read,
                    f"{alert_id}{_when(when)}", persons=lambda shown: list(shown["people"]))
    if shown is None:
        raise ReadRefused(404, f"alert {alert_id} is not raised", "alert_id")
    return shown
