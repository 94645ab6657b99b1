"""What a running Corridor holds, handed to every entrypoint: the database, the ledger
and the tracing service (its name index and duplicate queue live beside the ledger's
cached state). The API and the web UI get it per request through `caught_up`."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import Engine

from corridor.services.ledger import Ledger
from corridor.services.tracing import Tracing

log = logging.getLogger("corridor")


@dataclass(frozen=True, slots=True)
class Corridor:
    engine: Engine
    ledger: Ledger
    tracing: Tracing

    @classmethod
    def open(cls, engine: Engine, ledger: Ledger | None = None) -> Corridor:
        ledger = ledger or Ledger(engine)
        return cls(engine, ledger, Tracing(engine, ledger))


def caught_up(corridor: Corridor) -> Corridor:
    """For everything that reads or decides: the projections caught up first. A read
    never depends on that succeeding: were the fold ever to fail (a fault in our code,
    or the database going away mid-way), the error is logged and the reader gets the
    projections as last written; a command then refuses, since it folds anew."""
    try:
        corridor.ledger.ensure_projected()
    except Exception:
        log.exception("catching the projections up failed; serving them as last written")
    return corridor
