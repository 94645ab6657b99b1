"""The tracing desk's planted cases: households registered twice, and families asking.

They are what the duplicate queue and the tracing requests are there to show, so
they are written after the week has run, against what it recorded: a family
registered twice is one that really did register at al-Amiriyah, and a request
seeks someone who really did check in later, or who boarded and never arrived.
For every 10,000 people one household is registered again (at least 2), and for
every 7,000 one person is asked after (at least 3), besides the one unaccounted for.
"""

from __future__ import annotations

from typing import Any

from corridor.demo.population import Population, is_arabic, other_script
from corridor.demo.scenario import HOUR, PLACE, Operation, at, reception, registrar


def twice(people: int) -> int:
    """How many households the demo registers a second time."""
    return max(2, people // 10_000)


def asking(people: int) -> int:
    """How many tracing requests for people who arrive the demo files."""
    return max(3, people // 7_000)


def registered_twice(op: Operation, population: Population,
                     families: list[list[dict[str, Any]]]) -> list[tuple[str, str]]:
    """A few families registered at al-Amiriyah queue again hours later at Sukkari
    square and are registered a second time, on another tablet, in the other script,
    sometimes without a father's name or a year off. The second records never board:
    they wait until the duplicate queue shows them and a reviewer merges them.
    Returns (first record, second) for each person registered again."""
    rng = op.rng
    registered = _registrations(op)
    at_amiriyah = [members for members in families
                   if registered[members[0]["person_id"]][1] == "amiriyah"
                   and 2 <= len(members) <= 4]
    pairs = []
    number = op.people
    for n, members in enumerate(rng.sample(at_amiriyah, twice(op.people))):
        again = []
        for member in members:
            number += 1
            given, father, family_name = (other_script(member[name], rng) for name in
                                          ("given_name", "father_name", "family_name"))
            copy = population.details(f"p-{number:06d}", given, father, family_name,
                                      member["sex"],
                                      member.get("age", 2016 - member.get("birth_year", 2016)),
                                      [])
            if rng.random() < 0.3:
                copy["father_name"] = None
            if "birth_year" in copy and rng.random() < 0.4:
                copy["birth_year"] += rng.choice((-1, 1))
            copy.update(consent=True, destination_id=member["destination_id"])
            pairs.append((member["person_id"], copy["person_id"]))
            again.append(copy)
        t = registered[members[0]["person_id"]][0] + rng.randint(2, 10) * HOUR
        op.emit(t, "HouseholdRegistered", {
            "household_id": f"h-{len(families) + n + 1:05d}", "gathering_point_id": "sukkari",
            "token": population.token("sukkari"), "members": again},
            registrar("sukkari", n % 4 + 1))
    return pairs


def families_asking(op: Operation, population: Population,
                    families: list[list[dict[str, Any]]]) -> tuple[dict[str, str], str | None]:
    """Relatives file tracing requests at a reception centre, describing the person
    as they would (the other script, an approximate year, perhaps the father's
    name): separated children and others who are checked in later, so each request
    has news once they arrive; and someone who was on a bus and never arrived.
    Returns the person each request seeks, and the one who never arrived."""
    checked_in = {e[3]["person_id"]: (e[0], e[3]["location_id"]) for e in op.events
                  if e[2] == "PersonCheckedIn"}
    boarded = {e[3]["person_id"] for e in op.events if e[2] == "PersonBoarded"}
    removed = {e[3]["person_id"] for e in op.events if e[2] == "PersonRemoved"}
    people = [m for members in families for m in members]
    arriving = [m for m in people if checked_in.get(m["person_id"], (0,))[0] > at(15, 18)]
    separated = [m for m in arriving if "separated_child" in m.get("needs", ())][:2]
    others = op.rng.sample([m for m in arriving if m not in separated],
                           asking(op.people) - len(separated))
    never_arrived = boarded - removed - checked_in.keys()
    missing = [m for m in people if m["person_id"] in never_arrived]
    seeking = [*separated, *others]
    sought: dict[str, str] = {}
    unaccounted = None
    for n, member in enumerate(seeking):
        arrived, place = checked_in[member["person_id"]]
        filed = op.rng.randint(at(15, 16), arrived - HOUR)
        request_id = f"tr-{n + 1:03d}"
        sought[request_id] = member["person_id"]
        _request(op, population, request_id, member, place, filed,
                 "lost in the crowd at the gathering point")
    for member in missing[:1]:
        request_id = f"tr-{len(seeking) + 1:03d}"
        sought[request_id] = member["person_id"]
        _request(op, population, request_id, member, member["destination_id"], at(22, 22),
                 "boarded a bus; not seen at reception since")
        unaccounted = member["person_id"]
    return sought, unaccounted


def _request(op: Operation, population: Population, request_id: str, member: dict[str, Any],
             place: str, t: int, note: str) -> None:
    rng = op.rng
    arabic = rng.random() < 0.5
    write = (lambda name: other_script(name, rng)) if arabic != is_arabic(
        member["given_name"]) else (lambda name: name)
    born = member.get("birth_year", 2016 - member.get("age", 0))
    relationship = rng.choice(("mother", "father", "aunt", "grandmother") if born > 1998
                              else ("brother", "sister", "cousin", "wife" if
                                    member["sex"] == "male" else "husband"))
    sought = {"name": f"{write(member['given_name'])} {write(member['family_name'])}",
              "sex": member["sex"], "born": born + rng.choice((0, 0, 1, -1)), "tolerance": 2}
    if rng.random() < 0.5:
        sought["father_name"] = write(member["father_name"])
    woman = relationship in ("mother", "aunt", "grandmother", "sister", "wife")
    requester = f"{population.name('female' if woman else 'male', arabic)} " \
        f"{write(member['family_name'])}"
    op.emit(t, "TracingRequestFiled", {
        "request_id": request_id, "sought": sought, "requester_name": requester,
        "relationship": relationship, "consent": True, "note": note,
        "contact": f"at the {PLACE[place]} tracing desk, asks every morning"},
        reception(place))


def _registrations(op: Operation) -> dict[str, tuple[int, str]]:
    """When and where each person was registered."""
    return {m["person_id"]: (e[0], e[3]["gathering_point_id"]) for e in op.events
            if e[2] == "HouseholdRegistered" for m in e[3]["members"]}
