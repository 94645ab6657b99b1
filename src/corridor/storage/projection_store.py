"""Writing the folded state into projection tables, and reading them back whole.

The fold says which records changed (`OperationState.changed`, by collection); this
module knows the tables and shapes their rows. Each projection table but
`person_needs` (a person's needs, written with them) holds the state's collection of
the same name, one row per record, its columns the record's fields.

Rows are replaced (delete, then insert) rather than updated in place: it is the
same on SQLite and PostgreSQL and keeps one code path for live updates and for
rebuilds.
"""

from __future__ import annotations

from operator import attrgetter
from typing import Any

from sqlalchemy import Connection, Table, and_, bindparam, delete, select

from corridor.domain.entities import named_fact
from corridor.domain.state import OperationState
from corridor.storage import schema
from corridor.storage.bulk import insert_rows

TABLES: dict[str, Table] = {t.name: t for t in schema.PROJECTIONS if t is not schema.person_needs}
# Tables whose rows carry the seq of the pass that wrote them (`changed_seq`), so the
# scoped pull can ask for what changed since a device's cursor. A rebuild stamps every
# row with the head: devices then get their whole scope again, which is always right.
STAMPED = frozenset(name for name, table in TABLES.items() if "changed_seq" in table.c)


def rows(state: OperationState, name: str, keys: set[Any] | None = None) -> list[dict[str, Any]]:
    """Rows for the projection table `name`, all of them or only the given keys."""
    store: dict[Any, Any] = getattr(state, name)
    items = list(store.values() if keys is None else (store[k] for k in keys if k in store))
    if not items:
        return []
    # A shallow copy per record: asdict's deep copy was half the cost of a large import.
    names = type(items[0]).__slots__
    values = attrgetter(*names)
    shaped = [dict(zip(names, values(item), strict=True)) for item in items]
    if name == "operation":  # a table of one row
        for row in shaped:
            row["id"] = 1
    if name == "alerts":  # the facts explaining an alert, by event id, type, who, where
        for row in shaped:
            row["explained_by"] = [named_fact(f) for f in row["explained_by"]]
    if name in STAMPED:
        for row in shaped:
            row["changed_seq"] = state.seq
    return shaped


def _split_needs(rows: list[dict[str, Any]]) -> list[dict[str, str]]:
    needs = []
    for row in rows:
        needs += [{"person_id": row["person_id"], "need": need} for need in row.pop("needs")]
    return needs


def _delete_keys(conn: Connection, table: Table, keys: list[tuple[Any, ...]]) -> None:
    columns = list(table.primary_key.columns)
    where = and_(*(col == bindparam("k_" + col.name) for col in columns))
    conn.execute(delete(table).where(where),
                 [{"k_" + col.name: key[i] for i, col in enumerate(columns)} for key in keys])


def write_changes(conn: Connection, state: OperationState) -> None:
    """Replace the rows the last applied events touched."""
    for name, keys in state.take_changes().items():
        if not keys:
            continue
        table = TABLES[name]
        changed = rows(state, name, keys)
        if name == "operation":
            conn.execute(delete(table))
        else:
            key_tuples = [k if isinstance(k, tuple) else (k,) for k in keys]
            if name == "persons":  # a person's needs go with them
                conn.execute(delete(schema.person_needs).where(
                    schema.person_needs.c.person_id == bindparam("k_person_id")),
                    [{"k_person_id": k[0]} for k in key_tuples])
            _delete_keys(conn, table, key_tuples)
        _insert(conn, name, table, changed)


def _insert(conn: Connection, name: str, table: Table, shaped: list[dict[str, Any]]) -> None:
    needs = _split_needs(shaped) if name == "persons" else []
    insert_rows(conn, table, shaped)
    insert_rows(conn, schema.person_needs, needs)


def replace_all(conn: Connection, state: OperationState) -> None:
    """Clear every projection table and write the whole state (a rebuild)."""
    if conn.dialect.name == "postgresql":
        # One TRUNCATE: DELETE would leave every old row behind as a dead tuple to
        # scan past. It locks the tables until commit: readers wait for the rebuild.
        conn.exec_driver_sql("TRUNCATE " + ", ".join(t.name for t in schema.PROJECTIONS))
    else:
        for table in schema.PROJECTIONS:
            conn.execute(delete(table))
    for name, table in TABLES.items():
        _insert(conn, name, table, rows(state, name))
    state.take_changes()  # all written


def snapshot(conn: Connection) -> dict[str, list[tuple[Any, ...]]]:
    """Every projection row, sorted: two equal snapshots are the same state. The stamp of
    the pass that wrote a row is left out: it says when, not what."""
    result = {}
    for table in schema.PROJECTIONS:
        found = conn.execute(select(*(c for c in table.c if c.name != "changed_seq"))).all()
        result[table.name] = sorted(tuple(repr(v) for v in row) for row in found)
    return result
