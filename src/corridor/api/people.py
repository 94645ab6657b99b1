"""Registration and what happens to a person: stay, removal, check-in.

Every read of personal data here is written to the audit log.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Depends, Query

from corridor.api.commands import may_record
from corridor.api.context import corridor, ledger_of, reads, require
from corridor.domain import events as ev
from corridor.domain.permissions import COORDINATES
from corridor.domain.vocabulary import Status
from corridor.services import audit
from corridor.services import reads as read
from corridor.services.app import Corridor
from corridor.services.commands import movement as moves
from corridor.services.commands import registration
from corridor.services.commands.registration import HouseholdIn, StayIn
from corridor.services.ledger import Ledger, Principal

router = APIRouter(prefix="/api", tags=["people"])


@router.post("/households", status_code=201)
def register_household(body: HouseholdIn,
                       principal: Principal = may_record("HouseholdRegistered"),
                       ledger: Ledger = Depends(ledger_of)) -> dict[str, Any]:
    return asdict(registration.register_household(ledger, principal, body))


@router.get("/households/{household_id}")
def get_household(household_id: str, principal: Principal = reads("household"),
                  app: Corridor = Depends(corridor)) -> dict[str, Any]:
    return read.household(app.engine, principal, household_id)


@router.get("/persons")
def list_persons(status: Status | None = None, vehicle_id: str | None = None,
                 household_id: str | None = None, limit: int = Query(100, ge=1, le=1000),
                 offset: int = Query(0, ge=0, le=ev.MAX_POSITION),
                 principal: Principal = reads("person"),
                 app: Corridor = Depends(corridor)) -> list[dict[str, Any]]:
    """Everyone for the roles that see whereabouts; a field account, the people of its
    post's task, without their whereabouts."""
    return read.list_persons(app.engine, principal, status=status, vehicle_id=vehicle_id,
                             household_id=household_id, limit=limit, offset=offset)


@router.get("/persons/{person_id}")
def get_person(person_id: str, principal: Principal = reads("person"),
               app: Corridor = Depends(corridor)) -> dict[str, Any]:
    return read.person(app.engine, principal, person_id)


@router.get("/persons/{person_id}/reads")
def person_reads(person_id: str, limit: int = Query(audit.PAGE, ge=1, le=500),
                 offset: int = Query(0, ge=0, le=2**31),
                 principal: Principal = Depends(require(*COORDINATES)),
                 app: Corridor = Depends(corridor)) -> dict[str, Any]:
    """Who looked at this person: every recorded read that showed them, newest first
    (reads of the whole registry, such as a backup, included)."""
    total, rows = audit.who_looked_at(app.engine, principal, person_id, offset, limit)
    return {"person_id": person_id, "total": total, "reads": [
        {"id": r.id, "at": r.at, "username": r.username, "action": r.action, "why": r.why,
         "everyone": r.everyone} for r in rows]}


@router.post("/persons/{person_id}/stay")
def chose_to_stay(person_id: ev.Id, body: StayIn,
                  principal: Principal = may_record("PersonStayed"),
                  ledger: Ledger = Depends(ledger_of)) -> dict[str, Any]:
    return asdict(registration.stay(ledger, principal, person_id, body))


@router.post("/persons/{person_id}/removal")
def removed_at_checkpoint(person_id: ev.Id, body: moves.RemovalIn,
                          principal: Principal = may_record("PersonRemoved"),
                          ledger: Ledger = Depends(ledger_of)) -> dict[str, Any]:
    return asdict(moves.remove(ledger, principal, person_id, body))


@router.post("/persons/{person_id}/check-in")
def check_in(person_id: ev.Id, body: moves.PlaceIn,
             principal: Principal = may_record("PersonCheckedIn"),
             ledger: Ledger = Depends(ledger_of)) -> dict[str, Any]:
    return asdict(moves.check_in(ledger, principal, person_id, body))


@router.get("/boarding-queue")
def boarding_queue(gathering_point_id: str | None = None, limit: int = Query(200, ge=1, le=5000),
                   principal: Principal = reads("queue_entry"),
                   app: Corridor = Depends(corridor)) -> list[dict[str, Any]]:
    """Households waiting, in boarding order (most urgent specific need first); a
    registrar's, at their gathering point."""
    return read.boarding_queue(app.ledger, principal, gathering_point_id, limit)
