"""The field app's phones: who a device's account is, and each store's reports.

A store is one sign-in's encrypted IndexedDB database on a phone. It reports itself
on every sync: how many events it holds unsent, since when. When a store reports for
the first time, the account's earlier stores that have not signed out are named in
the answer with what they last said — a phone whose site data was cleared, or that
was lost, with events it never sent — and the app raises the alarm (docs/field.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update

from corridor.services import queries
from corridor.services.audit import record_event
from corridor.services.ledger import Principal
from corridor.storage.database import epoch_of, immediate
from corridor.storage.schema import devices, locations


class ReportRefused(ValueError):
    """A report this account may not make: the field and why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field, self.reason = field, reason


@dataclass(frozen=True, slots=True)
class Report:
    device_id: str
    store_id: str
    unsent: int
    oldest_unsent_at: str | None
    newest_recorded_at: str | None
    closed: bool = False


def server_time() -> str:
    """The server's clock as every answer to the field app carries it (UTC, ISO)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def whoami(engine: Engine, principal: Principal) -> dict[str, Any]:
    """What the field app needs to know of its account: role, post, operation, and the
    server's time and epoch (the phone's watermark starts from them)."""
    with engine.connect() as conn:
        post = conn.execute(select(locations.c.location_id, locations.c.kind, locations.c.name)
                            .where(locations.c.location_id == principal.post_id)).first()
        op = queries.operation_info(conn)
        epoch = epoch_of(conn)
    return {"username": principal.username, "role": str(principal.role),
            "post_id": principal.post_id, "device_id": principal.device_id,
            "post": dict(post._mapping) if post else None,
            "operation": {"name": op["name"], "illustrative": op["illustrative"]} if op else None,
            "server_time": server_time(), "epoch": epoch}


def _earlier(row: Any) -> dict[str, Any]:
    return {"store_id": row.store_id, "device_id": row.device_id,
            "created_at": row.created_at.astimezone(UTC).isoformat(timespec="seconds"),
            "reported_at": row.reported_at.astimezone(UTC).isoformat(timespec="seconds"),
            "unsent": row.unsent, "oldest_unsent_at": row.oldest_unsent_at}


def report(engine: Engine, principal: Principal, sent: Report) -> dict[str, Any]:
    """Record a store's report. A store's first report answers with the account's
    earlier stores still open (not signed out), newest first, and is audited."""
    moment = datetime.now(UTC)
    values = {"device_id": sent.device_id, "reported_at": moment, "unsent": sent.unsent,
              "oldest_unsent_at": sent.oldest_unsent_at,
              "newest_recorded_at": sent.newest_recorded_at, "closed": sent.closed}
    with immediate(engine) as conn:
        owner = conn.execute(select(devices.c.username)
                             .where(devices.c.store_id == sent.store_id)).scalar()
        if owner is not None and owner != principal.username:
            raise ReportRefused("store_id", "this store belongs to another account")
        if owner is not None:
            conn.execute(update(devices).where(devices.c.store_id == sent.store_id)
                         .values(**values))
            return {"new": False, "earlier": [], "server_time": server_time()}
        earlier = [_earlier(row) for row in conn.execute(
            select(devices).where(devices.c.username == principal.username,
                                  devices.c.closed.is_(False))
            .order_by(devices.c.reported_at.desc()))]
        conn.execute(insert(devices).values(store_id=sent.store_id, username=principal.username,
                                            created_at=moment, **values))
    unsent = sum(e["unsent"] for e in earlier)
    record_event(engine, principal.username, "device: new store",
                 f"store {sent.store_id} on {sent.device_id}; {len(earlier)} earlier open "
                 f"stores, {unsent} unsent events in them")
    return {"new": True, "earlier": earlier, "server_time": server_time()}

