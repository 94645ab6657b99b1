"""Registering a household at a gathering point, and a person's choice to stay.

A registration is recorded only if it meets the record's rules — its gathering point
is a gathering point, its token is free, its people are new, each destination is a
reception or hospital — stated once in `OperationState.registration_problems`; the
first rule broken comes back as `Refused` naming the field as this input names it
(`members.2.destination_id`), 409 for a clash with what is recorded, 422 otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from corridor.domain import events as ev
from corridor.services.commands import Recorded, new_id, record
from corridor.services.ledger import Ledger, Principal


class MemberIn(ev.PersonDetails):
    """A person as registered: the fact's own fields and limits (so an out-of-range
    year is a 422 naming it, never a failure further in), with the id optional."""

    person_id: ev.Id | None = None  # type: ignore[assignment]


class HouseholdIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    household_id: ev.Id | None = None
    gathering_point_id: ev.Id
    token: ev.Token | None = None
    members: Annotated[list[MemberIn], Field(min_length=1, max_length=60)]


@dataclass(frozen=True, slots=True)
class Registered(Recorded):
    household_id: str
    person_ids: list[str]


def household_event(household: HouseholdIn) -> ev.HouseholdRegistered:
    """Server-made ids where the client gave none; the event schema checks the rest
    (raising pydantic's ValidationError, located as in `household`)."""
    members = [{**m.model_dump(), "person_id": m.person_id or new_id()}
               for m in household.members]
    return ev.HouseholdRegistered.model_validate({
        "household_id": household.household_id or new_id(),
        "gathering_point_id": household.gathering_point_id, "token": household.token,
        "members": members})


def register_household(ledger: Ledger, who: Principal, household: HouseholdIn) -> Registered:
    event = household_event(household)
    done = record(ledger, who, event)
    return Registered(done.recorded, event.household_id, [m.person_id for m in event.members])


class StayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: ev.Text = ""


def stay(ledger: Ledger, who: Principal, person_id: str, stayed: StayIn) -> Recorded:
    return record(ledger, who, ev.PersonStayed(person_id=person_id, note=stayed.note))
