"""Boarding, convoy movement, checkpoint headcounts and arrival."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from corridor.api.commands import may_record, record
from corridor.api.context import Corridor, corridor, reads
from corridor.domain import boarding
from corridor.domain import events as ev
from corridor.domain.state import OperationState
from corridor.services import reads as read
from corridor.services.ledger import Principal

router = APIRouter(prefix="/api", tags=["movement"])


class BoardIn(BaseModel):
    """Board named people, or a household by its token."""

    model_config = ConfigDict(extra="forbid")
    person_ids: list[ev.Id] = Field(default=[], max_length=200)
    token: ev.Token | None = None
    override_reason: ev.Text = Field(
        "", description="why a household is split or the capacity exceeded")


@router.post("/vehicles/{vehicle_id}/boarding")
def board(vehicle_id: ev.Id, body: BoardIn, principal: Principal = may_record("PersonBoarded"),
          app: Corridor = Depends(corridor)) -> dict[str, Any]:
    def decide(state: OperationState) -> list[ev.Payload]:
        people = list(body.person_ids)
        if body.token:
            people += boarding.household_by_token(state, body.token)
        return list(boarding.board(state, vehicle_id, people, body.override_reason))

    return record(app, principal, decide)


@router.post("/vehicles/{vehicle_id}/fill")
def fill(vehicle_id: ev.Id, principal: Principal = may_record("PersonBoarded"),
         app: Corridor = Depends(corridor)) -> dict[str, Any]:
    """Fill the free seats from the boarding queue, whole households, priority first."""
    return record(app, principal, lambda state: list(boarding.fill(state, vehicle_id)))


class DisembarkIn(BaseModel):
    person_id: ev.Id
    reason: ev.Text = ""


@router.post("/vehicles/{vehicle_id}/disembarking")
def disembark(vehicle_id: ev.Id, body: DisembarkIn,
              principal: Principal = may_record("PersonDisembarked"),
              app: Corridor = Depends(corridor)) -> dict[str, Any]:
    return record(app, principal, ev.PersonDisembarked(vehicle_id=vehicle_id,
                                                       **body.model_dump()))


class HeadcountIn(BaseModel):
    checkpoint_id: ev.Id
    headcount: ev.Count


@router.post("/vehicles/{vehicle_id}/passages")
def pass_checkpoint(vehicle_id: ev.Id, body: HeadcountIn,
                    principal: Principal = may_record("CheckpointPassed"),
                    app: Corridor = Depends(corridor)) -> dict[str, Any]:
    return record(app, principal, ev.CheckpointPassed(vehicle_id=vehicle_id,
                                                      **body.model_dump()))


class ArrivalIn(BaseModel):
    location_id: ev.Id


@router.post("/vehicles/{vehicle_id}/arrival")
def arrive(vehicle_id: ev.Id, body: ArrivalIn,
           principal: Principal = may_record("VehicleArrived"),
           app: Corridor = Depends(corridor)) -> dict[str, Any]:
    return record(app, principal, ev.VehicleArrived(vehicle_id=vehicle_id,
                                                    location_id=body.location_id))


@router.get("/vehicles/{vehicle_id}/manifest")
def manifest(vehicle_id: str, principal: Principal = reads("manifest"),
             app: Corridor = Depends(corridor)) -> dict[str, Any]:
    """Who is on a vehicle; a field account, only the vehicles of its post's task."""
    return read.manifest(app.engine, principal, vehicle_id)


class ReasonIn(BaseModel):
    reason: ev.Text = Field(min_length=1)
    location_id: ev.Id | None = None


class NoteIn(BaseModel):
    note: ev.Text = ""


@router.post("/convoys/{convoy_id}/departure")
def depart(convoy_id: ev.Id, principal: Principal = may_record("ConvoyDeparted"),
           app: Corridor = Depends(corridor)) -> dict[str, Any]:
    return record(app, principal, ev.ConvoyDeparted(convoy_id=convoy_id))


@router.post("/convoys/{convoy_id}/hold")
def hold(convoy_id: ev.Id, body: ReasonIn, principal: Principal = may_record("ConvoyHeld"),
         app: Corridor = Depends(corridor)) -> dict[str, Any]:
    return record(app, principal, ev.ConvoyHeld(convoy_id=convoy_id, **body.model_dump()))


@router.post("/convoys/{convoy_id}/release")
def release(convoy_id: ev.Id, body: NoteIn, principal: Principal = may_record("ConvoyReleased"),
            app: Corridor = Depends(corridor)) -> dict[str, Any]:
    return record(app, principal, ev.ConvoyReleased(convoy_id=convoy_id, note=body.note))


@router.post("/convoys/{convoy_id}/turn-back")
def turn_back(convoy_id: ev.Id, body: ReasonIn,
              principal: Principal = may_record("ConvoyTurnedBack"),
              app: Corridor = Depends(corridor)) -> dict[str, Any]:
    return record(app, principal, ev.ConvoyTurnedBack(convoy_id=convoy_id, **body.model_dump()))


@router.post("/convoys/{convoy_id}/return")
def returned(convoy_id: ev.Id, principal: Principal = may_record("ConvoyReturned"),
             app: Corridor = Depends(corridor)) -> dict[str, Any]:
    return record(app, principal, ev.ConvoyReturned(convoy_id=convoy_id))


@router.post("/convoys/{convoy_id}/abort")
def abort(convoy_id: ev.Id, body: ReasonIn, principal: Principal = may_record("ConvoyAborted"),
          app: Corridor = Depends(corridor)) -> dict[str, Any]:
    return record(app, principal, ev.ConvoyAborted(convoy_id=convoy_id, reason=body.reason))
