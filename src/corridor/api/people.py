"""Registration and what happens to a person: stay, removal, check-in.

Every read of personal data here is written to the audit log.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from corridor.api.commands import may_record, new_id, record
from corridor.api.context import Corridor, corridor, reads
from corridor.api.problems import Problem
from corridor.domain import events as ev
from corridor.domain.vocabulary import RemovalReason, Status
from corridor.services import reads as read
from corridor.services.ledger import Principal

router = APIRouter(prefix="/api", tags=["people"])
MAX_OFFSET = 2**31  # far past any operation; a bigger one is refused, not a database error


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
def get_household(household_id: str, principal: Principal = reads("household"),
                  app: Corridor = Depends(corridor)) -> dict[str, Any]:
    return read.household(app.engine, principal, household_id)


@router.get("/persons")
def list_persons(status: Status | None = None, vehicle_id: str | None = None,
                 household_id: str | None = None, limit: int = Query(100, ge=1, le=1000),
                 offset: int = Query(0, ge=0, le=MAX_OFFSET),
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
                   principal: Principal = reads("queue_entry"),
                   app: Corridor = Depends(corridor)) -> list[dict[str, Any]]:
    """Households waiting, in boarding order (most urgent specific need first); a
    registrar's, at their gathering point."""
    return read.boarding_queue(app.ledger, principal, gathering_point_id, limit)
