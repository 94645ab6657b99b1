"""Registration and what happens to a person: stay, removal, check-in.

Every read of personal data here is written to the audit log.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from corridor.api.commands import may_record, new_id, record
from corridor.api.context import Corridor, corridor, require
from corridor.api.problems import Problem
from corridor.domain import boarding
from corridor.domain import events as ev
from corridor.domain.permissions import COORDINATES, SEES_PERSONS
from corridor.domain.vocabulary import RemovalReason, Status
from corridor.services import audit, queries
from corridor.services.audit import audited, ids
from corridor.services.ledger import Principal

router = APIRouter(prefix="/api", tags=["people"])
sees_persons = Depends(require(*SEES_PERSONS))


class MemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    person_id: ev.Id | None = None
    given_name: ev.Name
    father_name: ev.Name | None = None
    family_name: ev.Name | None = None
    sex: str = "unknown"
    birth_year: int | None = None
    age: int | None = None
    needs: list[str] = []
    consent: bool = False
    destination_id: ev.Id | None = None


class HouseholdIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    household_id: ev.Id | None = None
    gathering_point_id: ev.Id
    token: ev.Token | None = None
    members: Annotated[list[MemberIn], Field(min_length=1, max_length=60)]


def household_event(body: HouseholdIn) -> ev.HouseholdRegistered:
    """Server-made ids where the client gave none; the event schema checks the rest."""
    members = [{**m.model_dump(), "person_id": m.person_id or new_id()} for m in body.members]
    return ev.HouseholdRegistered.model_validate({
        "household_id": body.household_id or new_id(), "gathering_point_id":
        body.gathering_point_id, "token": body.token, "members": members})


@router.post("/households", status_code=201)
def register_household(body: HouseholdIn,
                       principal: Principal = may_record("HouseholdRegistered"),
                       app: Corridor = Depends(corridor)) -> dict[str, Any]:
    event = household_event(body)

    def decide(state: Any) -> list[ev.Payload]:
        if event.gathering_point_id not in state.locations:
            raise Problem(422, "Invalid request",
                          f"gathering point {event.gathering_point_id} is not known",
                          "gathering_point_id")
        if event.token and event.token in state.tokens:
            raise Problem(409, "Token in use", f"token {event.token} is already issued", "token")
        return [event]

    result = record(app, principal, decide)
    return {**result, "household_id": event.household_id,
            "person_ids": [m.person_id for m in event.members]}


@router.get("/households/{household_id}")
def get_household(household_id: str, principal: Principal = sees_persons,
                  app: Corridor = Depends(corridor)) -> dict[str, Any]:
    found = audited(app.engine, principal, "view household",
                    lambda conn: queries.household(conn, household_id), household_id,
                    persons=lambda found: ids(found["members"]))
    if found is None:
        raise Problem(404, "Not found", f"household {household_id} is not known",
                      "household_id")
    return found


@router.get("/persons")
def list_persons(status: Status | None = None, vehicle_id: str | None = None,
                 household_id: str | None = None, limit: int = Query(100, ge=1, le=1000),
                 offset: int = Query(0, ge=0), principal: Principal = sees_persons,
                 app: Corridor = Depends(corridor)) -> list[dict[str, Any]]:
    return audited(app.engine, principal, "list persons", lambda conn: queries.list_persons(
        conn, status=status, vehicle_id=vehicle_id, household_id=household_id, limit=limit,
        offset=offset), lambda rows: f"status={status} vehicle={vehicle_id} "
        f"household={household_id} offset={offset} returned={len(rows)}", persons=ids)


@router.get("/persons/{person_id}")
def get_person(person_id: str, principal: Principal = sees_persons,
               app: Corridor = Depends(corridor)) -> dict[str, Any]:
    found = audited(app.engine, principal, "view person",
                    lambda conn: queries.person(conn, person_id), person_id,
                    persons=lambda found: [person_id])
    if found is None:
        raise Problem(404, "Not found", f"person {person_id} is not known", "person_id")
    return found


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


class StayIn(BaseModel):
    note: ev.Text = ""


@router.post("/persons/{person_id}/stay")
def chose_to_stay(person_id: ev.Id, body: StayIn,
                  principal: Principal = may_record("PersonStayed"),
                  app: Corridor = Depends(corridor)) -> dict[str, Any]:
    return record(app, principal, ev.PersonStayed(person_id=person_id, note=body.note))


class RemovalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    checkpoint_id: ev.Id
    reason: RemovalReason
    vehicle_id: ev.Id | None = None
    removed_by: ev.Text = ""
    note: ev.Text = ""


@router.post("/persons/{person_id}/removal")
def removed_at_checkpoint(person_id: ev.Id, body: RemovalIn,
                          principal: Principal = may_record("PersonRemoved"),
                          app: Corridor = Depends(corridor)) -> dict[str, Any]:
    return record(app, principal, ev.PersonRemoved(person_id=person_id, **body.model_dump()))


class CheckInIn(BaseModel):
    location_id: ev.Id


@router.post("/persons/{person_id}/check-in")
def check_in(person_id: ev.Id, body: CheckInIn,
             principal: Principal = may_record("PersonCheckedIn"),
             app: Corridor = Depends(corridor)) -> dict[str, Any]:
    return record(app, principal, ev.PersonCheckedIn(person_id=person_id,
                                                     location_id=body.location_id))


@router.get("/boarding-queue")
def boarding_queue(gathering_point_id: str | None = None, limit: int = Query(200, ge=1, le=5000),
                   _: Principal = sees_persons,
                   app: Corridor = Depends(corridor)) -> list[dict[str, Any]]:
    """Households waiting, in boarding order (most urgent specific need first)."""
    entries = app.ledger.read(lambda state: boarding.queue(state, gathering_point_id))
    return [{"household_id": h.household_id, "token": h.token, "priority": h.priority,
             "waiting": len(h.person_ids), "person_ids": list(h.person_ids), "needs": h.needs}
            for h in entries[:limit]]
