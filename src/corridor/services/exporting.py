"""CSV exports of the record, for spreadsheets and partners' systems.

Files are UTF-8 with a byte-order mark, so Excel shows Arabic names correctly,
and rows are streamed from the database, so a million-person export never sits
in memory. Write to a file opened with `encoding="utf-8", newline=""`.

Who may export what: partners get `counts` only, with small cells suppressed; each
export's columns are those `domain.visibility` gives the role;
the personal exports (`persons`, `alerts`, `events`: names, or the ids that lead
to them) are written to the audit log before the first row goes out.

Against formula injection (OWASP's CSV injection advice): text cells starting with
= + - @ (or a tab or carriage return) are prefixed with a single quote, so a name
such as `=HYPERLINK(...)` typed into a phone is shown as text and never run as a
spreadsheet formula; every field is quoted, and a formula character just after a
comma, semicolon, tab or line break inside a cell gets the same quote, so no reader
that splits the cell there finds a formula either. (So a spreadsheet export is not a
byte-exact copy of hostile text; `corridor backup` is the ledger's exact copy.)
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import IO, Any

from sqlalchemy import Connection, Engine, Select, func, select

from corridor.domain.permissions import SEES_PERSONS
from corridor.domain.visibility import FIELDS, Seen, shape
from corridor.services import queries
from corridor.services.audit import record_read
from corridor.services.ledger import Principal
from corridor.storage.schema import (
    alerts,
    convoys,
    events,
    households,
    incidents,
    person_needs,
    persons,
    vehicles,
)

EXPORTS = ("persons", "counts", "vehicles", "convoys", "alerts", "incidents", "events")
PERSONAL = frozenset({"persons", "alerts", "events", "incidents"})  # incident text may name people
FOR_PARTNERS = frozenset({"counts"})
# The kind of record (domain.visibility) each export's rows are.
KINDS = {"persons": "person", "vehicles": "vehicle", "convoys": "convoy", "alerts": "alert",
         "incidents": "incident"}
NOT_SEEN = Seen(frozenset())
EVERYONE = frozenset({"persons", "events"})  # every person's name is in these
BATCH = 1000  # rows fetched from the database at a time
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# A formula character just after a separator inside a cell: a spreadsheet that splits
# on that separator (another locale's, or one that mishandles quotes) would start a
# cell with it. OWASP's CSV-injection advice: neutralise those too.
_SPLIT_FORMULA = re.compile(r"([,;\t\r\n])([=+\-@])")


def export_csv(engine: Engine, what: str, out: IO[str], principal: Principal) -> int:
    """Write the export `what` to `out` as CSV; returns the number of rows (header
    not counted). Raises ValueError for an unknown export and PermissionError for
    one the principal's role may not have."""
    if what not in EXPORTS:
        raise ValueError(f"unknown export {what!r}; choose one of: {', '.join(EXPORTS)}")
    sees_persons = principal.role in SEES_PERSONS
    if not sees_persons and what not in FOR_PARTNERS:
        raise PermissionError(f"the {principal.role} role may export "
                              f"{', '.join(sorted(FOR_PARTNERS))} only, not {what}")
    if what in PERSONAL:
        # Committed before streaming starts, so an interrupted export is still on record.
        record_read(engine, principal, f"export {what}", "CSV export of every row",
                    everyone=what in EVERYONE)
    out.write("\ufeff")
    writer = csv.writer(out, quoting=csv.QUOTE_ALL)
    with engine.connect() as conn:
        if what == "counts":
            header, rows = _counts(conn, principal)
        else:
            query = _QUERIES[what]()
            if what in KINDS:  # the columns the role may see (domain.visibility)
                query = query.with_only_columns(*(
                    c for c in query.selected_columns
                    if principal.role in FIELDS[KINDS[what]].get(str(c.key), NOT_SEEN).exact))
            header = list(query.selected_columns.keys())
            rows = conn.execute(query.execution_options(yield_per=BATCH))
        writer.writerow(header)
        # The database joins a person's needs in no particular order: sort them.
        needs_at = header.index("needs") if "needs" in header else None
        written = 0
        for row in rows:
            cells = [_cell(value) for value in row]
            if needs_at is not None and cells[needs_at]:
                cells[needs_at] = ";".join(sorted(cells[needs_at].split(";")))
            writer.writerow(cells)
            written += 1
    return written


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        # SQLite gives back naive datetimes; every stored time is UTC.
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat()
    if isinstance(value, list):
        value = ";".join(str(item) for item in value)
    if isinstance(value, str):
        value = _SPLIT_FORMULA.sub(r"\1'\2", value)
        if value.startswith(FORMULA_START):
            return "'" + value
    return value


def _counts(conn: Connection,
            principal: Principal) -> tuple[list[str], Iterable[tuple[Any, ...]]]:
    """People by status (need blank), then by need and status."""
    found = shape("counts", principal.role, queries.counts(conn))
    rows: list[tuple[Any, ...]] = [(status, "", n) for status, n in found["by_status"].items()]
    rows += [(status, need, n) for need, by_status in found["by_need"].items()
             for status, n in by_status.items()]
    return ["status", "need", "count"], rows


def _persons() -> Select[Any]:
    p = persons.c
    # A correlated lookup on person_needs' primary key: a joined GROUP BY subquery lets
    # PostgreSQL pick a nested loop for the server-side cursor and re-aggregate per person.
    needs = (select(func.aggregate_strings(person_needs.c.need, ";"))
             .where(person_needs.c.person_id == p.person_id).scalar_subquery().label("needs"))
    return (select(p.person_id, p.household_id, households.c.token, p.given_name,
                   p.father_name, p.family_name, p.sex, p.birth_year, p.birth_year_estimated,
                   needs, p.consent, p.destination_id, p.status, p.vehicle_id,
                   p.location_id, p.removal_reason, p.removed_by, p.registered_at, p.status_at)
            .select_from(persons)
            .outerjoin(households, households.c.household_id == p.household_id)
            .order_by(*queries.PERSON_ORDER))


def _events() -> Select[Any]:
    e = events.c
    return select(e.seq, e.id, e.type, e.payload, e.device_id, e.author, e.recorded_at,
                  e.received_at, e.digest, e.chain).order_by(e.seq)


_QUERIES = {
    "persons": _persons,
    "vehicles": lambda: select(vehicles).order_by(vehicles.c.vehicle_id),
    "convoys": lambda: select(convoys).order_by(convoys.c.convoy_id),
    "alerts": lambda: select(alerts).order_by(alerts.c.opened_at, alerts.c.alert_id),
    "incidents": lambda: select(incidents).order_by(incidents.c.occurred_at,
                                                    incidents.c.incident_id),
    "events": _events,
}
