"""Registering a household at a gathering point, and a person's choice to stay.

A registration is recorded only if it meets the record's rules — its gathering point
is a gathering point, its token is free, its people are new, each destination is a
reception or hospital — stated once in `OperationState.registration_problems`; the
first rule broken comes back as `Refused` naming the field as this input names it
(`members.2.destination_id`), 409 for a clash with what is recorded, 422 otherwise.

A registration sent again after its answer was lost (the web form's hidden
household id, an API client's retry) must not make a second household: the same
household id with the same content gives back the household recorded (`again`),
with other content it is refused, naming `household_id`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from corridor.domain import events as ev
from corridor.domain.state import OperationState
from corridor.services.commands import Recorded, new_id, record
from corridor.services.ledger import Ledger, Principal, Refused


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
    again: bool = False  # recorded before, from the same content: nothing new recorded


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
    earlier: list[Registered] = []

    def decide(state: OperationState) -> list[ev.Payload]:
        if event.household_id not in state.households:
            return [event]
        earlier.append(_registered_before(state, household, event))
        return []

    done = record(ledger, who, decide)
    return earlier[0] if earlier else Registered(
        done.recorded, event.household_id, [m.person_id for m in event.members])


def _registered_before(state: OperationState, household: HouseholdIn,
                       event: ev.HouseholdRegistered) -> Registered:
    """The household recorded under this id, if this is what was recorded."""
    recorded = state.households[event.household_id]
    members = [state.persons[p] for p in state.members[event.household_id]]
    year = recorded.registered_at.year
    said = (event.gathering_point_id, event.token, [
        (m.given_name, m.father_name, m.family_name, m.sex,
         m.birth_year if m.age is None else year - m.age, m.age is not None,
         tuple(sorted(set(m.needs))), m.consent, m.destination_id) for m in event.members])
    held = (recorded.gathering_point_id, recorded.token, [
        (p.given_name, p.father_name, p.family_name, p.sex, p.birth_year,
         p.birth_year_estimated, p.needs, p.consent, p.destination_id) for p in members])
    ids_given = [m.person_id for m in household.members]
    if said != held or any(given not in (None, p.person_id)
                           for given, p in zip(ids_given, members, strict=False)):
        raise Refused(f"household {event.household_id} is already recorded with other "
                      "details", "household_id")
    return Registered([], event.household_id, [p.person_id for p in members], again=True)


class StayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: ev.Text = ""


def stay(ledger: Ledger, who: Principal, person_id: str, stayed: StayIn) -> Recorded:
    return record(ledger, who, ev.PersonStayed(person_id=person_id, note=stayed.note))
