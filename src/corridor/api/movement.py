"""Boarding, convoy movement, checkpoint headcounts and arrival."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Depends

from corridor.api.commands import may_record
from corridor.api.context import corridor, ledger_of, reads
from corridor.domain import events as ev
from corridor.services import board as boards
from corridor.services import timeline
from corridor.services.app import Corridor
from corridor.services.commands import movement as moves
from corridor.services.ledger import Ledger, Principal

router = APIRouter(prefix="/api", tags=["movement"])


@router.post("/vehicles/{vehicle_id}/boarding")
def board(vehicle_id: ev.Id, body: moves.BoardIn,
          principal: Principal = may_record("PersonBoarded"),
          ledger: Ledger = Depends(ledger_of)) -> dict[str, Any]:
    return asdict(moves.board(ledger, principal, vehicle_id, body))


@router.post("/vehicles/{vehicle_id}/fill")
def fill(vehicle_id: ev.Id, principal: Principal = may_record("PersonBoarded"),
         ledger: Ledger = Depends(ledger_of)) -> dict[str, Any]:
    """Fill the free seats from the boarding queue, whole households, priority first."""
    return asdict(moves.fill(ledger, principal, vehicle_id))


@router.post("/vehicles/{vehicle_id}/disembarking")
def disembark(vehicle_id: ev.Id, body: moves.DisembarkIn,
              principal: Principal = may_record("PersonDisembarked"),
              ledger: Ledger = Depends(ledger_of)) -> dict[str, Any]:
    return asdict(moves.disembark(ledger, principal, vehicle_id, body))


@router.post("/vehicles/{vehicle_id}/passages")
def pass_checkpoint(vehicle_id: ev.Id, body: moves.HeadcountIn,
                    principal: Principal = may_record("CheckpointPassed"),
                    ledger: Ledger = Depends(ledger_of)) -> dict[str, Any]:
    return asdict(moves.pass_checkpoint(ledger, principal, vehicle_id, body))


@router.post("/vehicles/{vehicle_id}/arrival")
def arrive(vehicle_id: ev.Id, body: moves.PlaceIn,
           principal: Principal = may_record("VehicleArrived"),
           ledger: Ledger = Depends(ledger_of)) -> dict[str, Any]:
    return asdict(moves.arrive(ledger, principal, vehicle_id, body))


@router.get("/vehicles/{vehicle_id}/manifest")
def manifest(vehicle_id: str, convoy: str | None = None, as_of: str | None = None,
             principal: Principal = reads("manifest"),
             app: Corridor = Depends(corridor)) -> dict[str, Any]:
    """Who boarded a vehicle for one trip (`convoy`; without it, its current or last
    trip), under that convoy; a field account, only the vehicles of its post's task.
    `as_of`: as the record stood then."""
    return boards.trip_manifest(app.ledger, principal, vehicle_id, convoy or None,
                               timeline.moment(app.ledger, as_of))


@router.post("/convoys/{convoy_id}/departure")
def depart(convoy_id: ev.Id, principal: Principal = may_record("ConvoyDeparted"),
           ledger: Ledger = Depends(ledger_of)) -> dict[str, Any]:
    return asdict(moves.depart(ledger, principal, convoy_id))


@router.post("/convoys/{convoy_id}/hold")
def hold(convoy_id: ev.Id, body: moves.ReasonIn, principal: Principal = may_record("ConvoyHeld"),
         ledger: Ledger = Depends(ledger_of)) -> dict[str, Any]:
    return asdict(moves.hold(ledger, principal, convoy_id, body))


@router.post("/convoys/{convoy_id}/release")
def release(convoy_id: ev.Id, body: moves.NoteIn,
            principal: Principal = may_record("ConvoyReleased"),
            ledger: Ledger = Depends(ledger_of)) -> dict[str, Any]:
    return asdict(moves.release(ledger, principal, convoy_id, body))


@router.post("/convoys/{convoy_id}/turn-back")
def turn_back(convoy_id: ev.Id, body: moves.ReasonIn,
              principal: Principal = may_record("ConvoyTurnedBack"),
              ledger: Ledger = Depends(ledger_of)) -> dict[str, Any]:
    return asdict(moves.turn_back(ledger, principal, convoy_id, body))


@router.post("/convoys/{convoy_id}/return")
def returned(convoy_id: ev.Id, principal: Principal = may_record("ConvoyReturned"),
             ledger: Ledger = Depends(ledger_of)) -> dict[str, Any]:
    return asdict(moves.return_convoy(ledger, principal, convoy_id))


@router.post("/convoys/{convoy_id}/abort")
def abort(convoy_id: ev.Id, body: moves.ReasonIn,
          principal: Principal = may_record("ConvoyAborted"),
          ledger: Ledger = Depends(ledger_of)) -> dict[str, Any]:
    return asdict(moves.abort(ledger, principal, convoy_id, body))
