"""Sync for field devices: push events; pull the post's scope, or (administrators,
replication) the whole ledger.

A device keeps (epoch, last pulled seq or cursor). If the epoch it gets back differs from
the one it knew, the database was re-created or restored from a backup: the
device re-sends everything it holds, and what the server already has comes back
as duplicates.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from corridor.api.context import corridor, ledger_of, require
from corridor.api.problems import Problem
from corridor.domain import events as ev
from corridor.domain.permissions import PULLS_LEDGER, PULLS_SCOPE, SYNCS
from corridor.services import scoped_pull
from corridor.services.app import Corridor
from corridor.services.audit import record_read
from corridor.services.devices import server_time
from corridor.services.ledger import MAX_BATCH, Ledger, Principal

router = APIRouter(prefix="/api/sync", tags=["sync"])


class PushBody(BaseModel):
    model_config = ConfigDict(extra="forbid")  # as `_events` checks: the schema says so
    events: list[Any] = Field(max_length=MAX_BATCH, description="events as recorded on the device")


class ReceiptOut(BaseModel):
    id: str | None
    status: str = Field(description="accepted, duplicate or rejected")
    seq: int | None = None
    reason: str | None = None


class PushOut(BaseModel):
    epoch: str
    head_seq: int
    server_time: str = Field(description="the server's clock (UTC, ISO 8601)")
    receipts: list[ReceiptOut]


class PulledEvent(BaseModel):
    seq: int
    id: str
    type: str
    payload: dict[str, Any]
    device_id: str
    author: str
    recorded_at: str
    received_at: str
    chain: str


class PullOut(BaseModel):
    epoch: str
    head_seq: int
    events: list[PulledEvent]


def _json(body: dict[str, Any]) -> Response:
    """orjson straight to bytes: a 1000-event pull is the hot path of every device."""
    return Response(orjson.dumps(body), media_type="application/json")


def _integer(digits: str) -> int | float:
    # As orjson does past 64 bits; Python refuses to convert more than 4,300 digits.
    return int(digits) if len(digits) < 20 else float(digits)


def _events(body: bytes) -> list[Any]:
    """The pushed events. orjson reads almost every body; what it refuses but Python's
    parser reads (a lone surrogate such as "\\ud83d" from a cut emoji, a number past a
    double, NaN) is read again, so the one event holding it gets its own rejected
    receipt rather than its whole batch being refused for ever."""
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        try:
            parsed = json.loads(body, parse_int=_integer)
        except (ValueError, RecursionError) as exc:
            raise Problem(422, "Invalid request", f"body: not JSON ({exc})", "body") from None
    events = parsed.get("events") if isinstance(parsed, dict) else None
    if isinstance(parsed, dict) and (unknown := sorted(set(parsed) - {"events"})):
        field = ev.quoted(str(unknown[0]))
        raise Problem(422, "Invalid request", f"{field}: extra inputs are not permitted", field)
    if not isinstance(events, list):
        raise Problem(422, "Invalid request", "events: a list of events is required", "events")
    if len(events) > MAX_BATCH:
        raise Problem(422, "Invalid request", f"events: at most {MAX_BATCH} per push",
                      "events")
    return events


@router.post("/push", response_model=PushOut, openapi_extra={"requestBody": {
    "required": True, "content": {"application/json": {"schema": PushBody.model_json_schema()}}}})
async def push(request: Request, principal: Principal = Depends(require(*SYNCS)),
               ledger: Ledger = Depends(ledger_of)) -> Response:
    # The body is parsed here in one pass: every event is validated on its own by the
    # ledger (one receipt each), so a model over the whole list would only parse the
    # batch a second time.
    try:
        events = _events(await request.body())
    except ClientDisconnect:  # the phone lost its network mid-upload: it will retry
        raise Problem(400, "Incomplete request", "body: the client hung up before it was "
                      "sent", "body") from None
    result = await run_in_threadpool(ledger.push, events, principal)
    return _json({
        "epoch": result.epoch, "head_seq": result.head_seq, "server_time": server_time(),
        "receipts": [{"id": r.id, "status": r.status, "seq": r.seq, "reason": r.reason}
                     for r in result.receipts]})


@router.get("/pull", response_model=PullOut)
def pull(since: int = Query(0, ge=0, le=ev.MAX_POSITION), limit: int = Query(1000, ge=1, le=5000),
         principal: Principal = Depends(require(*PULLS_LEDGER)),
         ledger: Ledger = Depends(ledger_of)) -> Response:
    """The whole ledger, every name in it: for administrators and replication. Field
    devices pull their post's scope (`/api/sync/scope`)."""
    epoch, head_seq, events = ledger.pull(since, limit)
    if events:
        record_read(ledger.engine, principal, "ledger pull",
                    f"seq {events[0].seq}–{events[-1].seq}: {len(events)} events",
                    everyone=True)
    return _json({"epoch": epoch, "head_seq": head_seq, "events": [
        {"seq": e.seq, "id": e.id, "type": e.type, "payload": orjson.loads(e.payload),
         "device_id": e.device_id, "author": e.author, "recorded_at": e.recorded_at,
         "received_at": e.received_at, "chain": e.chain} for e in events]})


@router.get("/scope")
def scope(since: str | None = Query(None, max_length=200, description="the cursor of the "
                                    "last answer; none for the whole scope"),
          principal: Principal = Depends(require(*PULLS_SCOPE)),
          app: Corridor = Depends(corridor)) -> dict[str, Any]:
    """What a field device's post needs — a registrar's waiting households and queue, the
    vehicles expected at a monitor's checkpoint or heading to reception with who is on
    them — or what changed in it since the cursor (docs/sync.md). Audited."""
    return {**scoped_pull.pull(app.engine, app.ledger, principal, since),
            "server_time": server_time()}
