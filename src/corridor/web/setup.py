"""Setting up an operation in the browser: the steps in order, what each has recorded,
and a form for each (operation, parties, places, routes, vehicles, convoys).

Every form posts to the use cases in `services/commands/setup.py`; a refusal re-shows
it with what was typed and the message beside the field. The id of what a form
records is made when the form is drawn and sent back hidden (as registration does),
so a form sent twice is refused the second time instead of recording twice. Route
stops are added, removed and moved by buttons that post the form back, so it works
without scripts; `setup.js` only totals a convoy's seats as vehicles are ticked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import groupby
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from corridor.domain import events as ev
from corridor.domain.state import OperationState
from corridor.domain.vocabulary import (
    ARRIVAL_KINDS,
    PASSAGE_KINDS,
    LocationKind,
    PartyKind,
    VehicleKind,
)
from corridor.services.commands import new_id, setup
from corridor.services.ledger import Ledger, Principal, Refused
from corridor.services.views import setup as views
from corridor.web.forms import error_key, text
from corridor.web.i18n import N_
from corridor.web.page import Posted, WebError, app_of, may, records, render

router = APIRouter(include_in_schema=False)
# Who may set up: the roles that may add a place (coordinators and admins); each form
# also needs its own fact's permission.
SetsUp = Annotated[Principal, records("LocationAdded")]
MAX_STOPS = 50
# What a refusal of a field says on the form, where the generic message says too little.
REFUSAL_KEYS = {
    "origin_id": N_("setup.error.stop_kind"), "destination_id": N_("setup.error.stop_kind"),
    "checkpoint_ids": N_("setup.error.stop_kind"), "held_by": N_("setup.error.held_by"),
    "organisation_id": N_("error.choice"), "pattern": N_("setup.error.label_taken"),
    "vehicle_ids": N_("setup.error.vehicle_busy"),
}
FIELD_KEYS = {"pattern": N_("setup.error.pattern"), "checkpoint_ids": N_("setup.error.stop_kind")}


@dataclass(frozen=True, slots=True)
class Step:
    """One setup form: its fields as the form names them, the id it makes, the model
    it is read into and the use case that records it."""

    name: str
    fact: str  # the fact type the role must be allowed to record
    fields: tuple[str, ...]
    id_field: str
    model: type[BaseModel]
    use: Callable[[Ledger, Principal, Any], Any]


STEPS = {step.name: step for step in (
    Step("operation", "OperationOpened", ("name", "description", "illustrative"), "",
         ev.OperationOpened, setup.open_operation),
    Step("parties", "PartyRegistered", ("name", "kind", "description"), "party_id",
         ev.PartyRegistered, setup.add_party),
    Step("locations", "LocationAdded", ("kind", "name", "latitude", "longitude", "held_by"),
         "location_id", ev.LocationAdded, setup.add_location),
    Step("routes", "RouteDefined", ("name", "origin_id", "destination_id"), "route_id",
         ev.RouteDefined, setup.define_route),
    Step("vehicles", "VehicleRegistered", ("kind", "count", "capacity", "organisation_id",
                                           "pattern", "start"), "fleet_id",
         setup.FleetIn, setup.register_fleet),
    Step("convoys", "ConvoyPlanned", ("label", "route_id"), "convoy_id", ev.ConvoyPlanned,
         setup.plan_convoy),
)}


def _step(name: str, who: Principal) -> Step:
    step = STEPS.get(name)
    if step is None:
        raise WebError(404, N_("error.not_found"))
    if not may(who, step.fact):
        raise WebError(403, N_("error.forbidden"))
    return step


def _blank(step: Step) -> dict[str, Any]:
    """What a new form shows: one vehicle numbered from 1, one stop, a fresh id."""
    values: dict[str, Any] = dict.fromkeys(step.fields, "")
    values.update(illustrative=False, count="1", start="1", stops=[""], vehicle_ids=[])
    if step.id_field:
        values[step.id_field] = new_id()
    return values


@router.get("/setup", response_class=HTMLResponse)
def overview(request: Request, who: SetsUp) -> HTMLResponse:
    return render(request, "setup.html", steps=app_of(request).ledger.read(views.steps))


def _page(request: Request, step: Step, status: int = 200,
          values: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
          preview: list[str] | None = None, recorded: bool = False) -> HTMLResponse:
    """A step's page: what is recorded, and its form with `values` and `errors`."""
    ledger = app_of(request).ledger

    def look(state: OperationState) -> dict[str, Any]:
        return {"steps": views.steps(state), "parties": views.parties(state),
                "locations": views.locations(state), "routes": views.routes(state),
                "vehicles": views.vehicles(state), "fleets": views.fleets(state),
                "convoys": views.convoys(state)}

    seen = ledger.read(look)
    free = sorted((v for v in seen["vehicles"] if not v["busy"]), key=_alike)
    values = values or _blank(step)
    places = {p["location_id"]: p for p in seen["locations"]}
    return render(
        request, f"setup_{step.name}.html", status, **seen, step=step.name, values=values,
        errors=errors or {}, preview=preview, recorded=recorded, places=places,
        party_names={p["party_id"]: p["name"] for p in seen["parties"]},
        gathering=[p for p in seen["locations"] if p["kind"] == LocationKind.GATHERING_POINT],
        passages=[p for p in seen["locations"] if p["kind"] in PASSAGE_KINDS],
        arrivals=[p for p in seen["locations"] if p["kind"] in ARRIVAL_KINDS],
        free_groups=[list(group) for _, group in groupby(free, key=_alike)],
        organisations=[p for p in seen["parties"] if p["kind"] == PartyKind.ORGANISATION],
        location_kinds=list(LocationKind),
        party_kinds=list(PartyKind), vehicle_kinds=list(VehicleKind))


def _alike(vehicle: dict[str, Any]) -> tuple[str, int, str]:
    """Vehicles a coordinator picks together: of one kind, seats and organisation."""
    return vehicle["kind"], vehicle["capacity"], vehicle["organisation_id"] or ""


@router.get("/setup/{step}", response_class=HTMLResponse)
def step_form(step: str, request: Request, who: SetsUp, recorded: bool = False) -> HTMLResponse:
    return _page(request, _step(step, who), recorded=recorded)


def _values(step: Step, form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {f: text(form, f) for f in step.fields}
    if step.id_field:
        values[step.id_field] = text(form, step.id_field) or new_id()
    if "illustrative" in step.fields:
        values["illustrative"] = form.get("illustrative") == "yes"
    if step.name == "routes":
        values["stops"] = [text(form, f"stop.{n}") for n in range(_count(form))] or [""]
    if step.name == "convoys":
        values["vehicle_ids"] = [v for v in form.getlist("vehicle_ids") if isinstance(v, str)]
    return values


def _count(form: FormData) -> int:
    try:
        return min(max(int(text(form, "stops")), 0), MAX_STOPS)
    except ValueError:
        return 0


def _edit_stops(stops: list[str], action: str) -> list[str]:
    """A route form's button: add a stop, or move one up or down, or remove it."""
    verb, _, at = action.partition(":")
    if verb == "add":
        return stops + [""] if len(stops) < MAX_STOPS else stops
    n = int(at) if at.isdigit() and int(at) < len(stops) else None
    if n is None:
        return stops
    if verb == "remove":
        return stops[:n] + stops[n + 1:] or [""]
    other = n - 1 if verb == "up" else n + 1
    if 0 <= other < len(stops):
        stops[n], stops[other] = stops[other], stops[n]
    return stops


def _data(step: Step, values: dict[str, Any]) -> tuple[dict[str, Any], list[int]]:
    """The form's strings as the model's fields (a blank optional field is left out),
    and for a route, which typed stop each checkpoint came from."""
    data = {k: v for k, v in values.items() if v not in ("", None) and k != "stops"}
    kept: list[int] = []
    if step.name == "routes":
        kept = [n for n, stop in enumerate(values["stops"]) if stop]
        data["checkpoint_ids"] = [values["stops"][n] for n in kept]
    return data, kept


def _field(path: str, kept: list[int]) -> str:
    """An error's place in the model (`checkpoint_ids.1`) as the form's field: the
    second stop typed is `stop.N` for the row it was typed in."""
    parts = path.split(".")
    if parts[0] == "checkpoint_ids" and len(parts) > 1 and parts[1].isdigit():
        return f"stop.{kept[int(parts[1])]}"
    return parts[0] or "form"


@router.post("/setup/{name}")
def record_step(name: str, request: Request, form: Posted, who: SetsUp) -> Response:
    step = _step(name, who)
    values = _values(step, form)
    action = text(form, "action")
    if step.name == "routes" and action != "record":
        values["stops"] = _edit_stops(values["stops"], action)
        return _page(request, step, values=values)
    data, kept = _data(step, values)
    try:
        model = step.model.model_validate(data)
        if isinstance(model, setup.FleetIn) and action == "preview":
            return _page(request, step, values=values, preview=model.labels())
        step.use(app_of(request).ledger, who, model)
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for e in exc.errors():
            path = ".".join(map(str, e["loc"]))
            errors.setdefault(_field(path, kept),
                              FIELD_KEYS.get(path.split(".")[0], error_key(e)))
        return _page(request, step, 422, values, errors)
    except Refused as refused:
        path = refused.field or ""
        key = REFUSAL_KEYS.get(path.split(".")[0], N_("error.refused"))
        return _page(request, step, refused.status, values,
                     {_field(path, kept): key, "refusal": refused.reason})
    return RedirectResponse(f"/setup/{step.name}?recorded=1", status_code=303)
