"""Boarding, convoy moves, checkpoint headcounts, removals, arrival and check-in.

Boarding decided on the server follows the guidance in `domain.boarding` (no more
people than seats, a household kept together unless a reason is given, the queue's
priority); every other movement is recorded as the fact it is, and the fold judges
it against the record (a removal at a checkpoint on the vehicle's route, a
disembarkation before departure).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from corridor.domain import boarding
from corridor.domain import events as ev
from corridor.domain.state import OperationState
from corridor.domain.vocabulary import RemovalReason
from corridor.services.commands import Recorded, record
from corridor.services.ledger import Ledger, Principal


class BoardIn(BaseModel):
    """Board named people, or a household by its token."""

    model_config = ConfigDict(extra="forbid")
    person_ids: list[ev.Id] = Field(default=[], max_length=200)
    token: ev.Token | None = None
    override_reason: ev.Text = Field(
        "", description="why a household is split or the capacity exceeded")


def board(ledger: Ledger, who: Principal, vehicle_id: str, boarding_: BoardIn) -> Recorded:
    def decide(state: OperationState) -> list[ev.Payload]:
        people = list(boarding_.person_ids)
        if boarding_.token:
            people += boarding.household_by_token(state, boarding_.token)
        return list(boarding.board(state, vehicle_id, people, boarding_.override_reason))

    return record(ledger, who, decide)


def fill(ledger: Ledger, who: Principal, vehicle_id: str) -> Recorded:
    """Fill the free seats from the boarding queue, whole households, priority first."""
    return record(ledger, who, lambda state: list(boarding.fill(state, vehicle_id)))


class DisembarkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    person_id: ev.Id
    reason: ev.Text = ""


def disembark(ledger: Ledger, who: Principal, vehicle_id: str, off: DisembarkIn) -> Recorded:
    return record(ledger, who, ev.PersonDisembarked(vehicle_id=vehicle_id, **off.model_dump()))


class HeadcountIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    checkpoint_id: ev.Id
    headcount: ev.Count


def pass_checkpoint(ledger: Ledger, who: Principal, vehicle_id: str,
                    count: HeadcountIn) -> Recorded:
    return record(ledger, who, ev.CheckpointPassed(vehicle_id=vehicle_id, **count.model_dump()))


class RemovalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    checkpoint_id: ev.Id
    reason: RemovalReason
    vehicle_id: ev.Id | None = None
    removed_by: ev.Text = ""
    note: ev.Text = ""


def remove(ledger: Ledger, who: Principal, person_id: str, removal: RemovalIn) -> Recorded:
    return record(ledger, who, ev.PersonRemoved(person_id=person_id, **removal.model_dump()))


class PlaceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    location_id: ev.Id


def arrive(ledger: Ledger, who: Principal, vehicle_id: str, at: PlaceIn) -> Recorded:
    return record(ledger, who, ev.VehicleArrived(vehicle_id=vehicle_id,
                                                 location_id=at.location_id))


def check_in(ledger: Ledger, who: Principal, person_id: str, at: PlaceIn) -> Recorded:
    return record(ledger, who, ev.PersonCheckedIn(person_id=person_id,
                                                  location_id=at.location_id))


# --- convoys -----------------------------------------------------------------------------


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: ev.Text = Field(min_length=1)
    location_id: ev.Id | None = None


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: ev.Text = ""


def depart(ledger: Ledger, who: Principal, convoy_id: str) -> Recorded:
    return record(ledger, who, ev.ConvoyDeparted(convoy_id=convoy_id))


def hold(ledger: Ledger, who: Principal, convoy_id: str, why: ReasonIn) -> Recorded:
    return record(ledger, who, ev.ConvoyHeld(convoy_id=convoy_id, **why.model_dump()))


def release(ledger: Ledger, who: Principal, convoy_id: str, note: NoteIn) -> Recorded:
    return record(ledger, who, ev.ConvoyReleased(convoy_id=convoy_id, note=note.note))


def turn_back(ledger: Ledger, who: Principal, convoy_id: str, why: ReasonIn) -> Recorded:
    return record(ledger, who, ev.ConvoyTurnedBack(convoy_id=convoy_id, **why.model_dump()))


def return_convoy(ledger: Ledger, who: Principal, convoy_id: str) -> Recorded:
    return record(ledger, who, ev.ConvoyReturned(convoy_id=convoy_id))


def abort(ledger: Ledger, who: Principal, convoy_id: str, why: ReasonIn) -> Recorded:
    return record(ledger, who, ev.ConvoyAborted(convoy_id=convoy_id, reason=why.reason))
