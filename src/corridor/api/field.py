"""What the field app asks of the server besides sync: who its account is, and the
reports of its stores (the lost-store alarm, services/devices.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from corridor.api.context import current_principal, ledger_of, require
from corridor.api.problems import Problem
from corridor.domain import events as ev
from corridor.domain.permissions import SYNCS
from corridor.services import devices
from corridor.services.ledger import Ledger, Principal

router = APIRouter(tags=["sync"])
UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"


class DeviceReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    device_id: ev.Id
    store_id: str = Field(pattern=UUID_PATTERN, description="the store's own UUID, lowercase")
    unsent: int = Field(ge=0, le=10_000_000, description="events held not yet acknowledged")
    oldest_unsent_at: ev.Moment | None = Field(None, description="the phone's clock")
    newest_recorded_at: ev.Moment | None = None
    closed: bool = Field(False, description="the store is being signed out")

    def report(self) -> devices.Report:
        return devices.Report(
            self.device_id, self.store_id, self.unsent,
            self.oldest_unsent_at.isoformat() if self.oldest_unsent_at else None,
            self.newest_recorded_at.isoformat() if self.newest_recorded_at else None,
            self.closed)


@router.get("/api/me")
def me(principal: Principal = Depends(current_principal),
       ledger: Ledger = Depends(ledger_of)) -> dict[str, Any]:
    """The account asking (bearer token or session): role, post, operation, device, and
    the server's time and epoch."""
    return devices.whoami(ledger.engine, principal)


@router.post("/api/sync/device")
def device_report(body: DeviceReportIn, principal: Principal = Depends(require(*SYNCS)),
                  ledger: Ledger = Depends(ledger_of)) -> dict[str, Any]:
    """A field app store reports what it holds unsent. Its first report answers with the
    account's earlier stores that never signed out, with what they last said."""
    try:
        return devices.report(ledger.engine, principal, body.report())
    except devices.ReportRefused as refused:
        raise Problem(422, "Invalid request", f"{refused.field}: {refused.reason}",
                      refused.field) from None
