"""Finding people in the web UI: tracing search, tracing requests and the duplicate queue.

The pages follow the JSON API's rules by calling the same use cases
(`services.commands.tracing`): searching is for `SEARCHES` roles and is audited with
its reason and rate limited, where a person is now is shown only to
`SEES_WHEREABOUTS` roles, requests are for `HANDLES_REQUESTS` roles and need the
requester's consent, and a "same" decision keeps the record that has moved.

Searches are POSTed, not sent as a query string, so the names typed never land in a
URL: not in the browser history of a shared phone, not in a proxy's log. Every page
that shows names writes an audit entry, through the service or here.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import Connection
from starlette.datastructures import FormData

from corridor.domain.permissions import HANDLES_REQUESTS, SEARCHES, SEES_WHEREABOUTS
from corridor.domain.vocabulary import LocationKind, Sex
from corridor.services import queries
from corridor.services.audit import audited, record_read
from corridor.services.commands import tracing as desk
from corridor.services.ledger import Principal, Refused
from corridor.services.limits import RateLimited
from corridor.services.tracing import Tracing
from corridor.web.forms import error_key, text
from corridor.web.i18n import N_
from corridor.web.page import Posted, WebError, app_of, may, one_of, records, render

router = APIRouter(include_in_schema=False)

RESULTS = 10  # people a search shows
QUEUE_SHOWN = 50  # duplicate pairs a page shows
MAX_HOUSEHOLD_NAMES = 20
SOUGHT_FIELDS = ("name", "sex", "born", "tolerance", "origin", "father_name")
SEARCH_FIELDS = (*SOUGHT_FIELDS, "reason")
REQUEST_FIELDS = (*SOUGHT_FIELDS, "household_names", "requester_name", "relationship",
                  "contact", "note")
# Field-specific messages where the generic one would not say what to type.
FIELD_KEYS = {"born": N_("error.birth_year"), "tolerance": N_("error.tolerance"),
              "reason": N_("error.reason")}
# What the record's refusal of a field says on the form.
REFUSAL_KEYS = {"consent": N_("error.consent"), "origin": N_("error.choice")}
OUTCOMES = ("found", "not_found", "withdrawn", "referred")
DECISIONS = ("confirmed", "rejected", "unsure")
SEXES = (Sex.FEMALE, Sex.MALE)


Searcher = Annotated[Principal, one_of(*SEARCHES)]
Desk = Annotated[Principal, one_of(*HANDLES_REQUESTS)]
Filer = Annotated[Principal, records("TracingRequestFiled")]
CandidateReviewer = Annotated[Principal, records("TracingCandidateReviewed")]
Closer = Annotated[Principal, records("TracingRequestClosed")]
DuplicateReviewer = Annotated[Principal, records("DuplicateReviewed")]
Unmerger = Annotated[Principal, records("PersonsUnmerged")]


def service(request: Request) -> Tracing:
    return app_of(request).tracing


def _sought(values: dict[str, Any]) -> dict[str, Any]:
    """The form's strings as SoughtPerson fields; blanks are "not known"."""
    sought: dict[str, Any] = {f: values[f] or None for f in SOUGHT_FIELDS}
    sought["name"] = values["name"]
    if not values["tolerance"]:
        sought.pop("tolerance")  # the schema's default
    return sought


def _errors(exc: ValidationError) -> dict[str, str]:
    """Schema errors keyed by form field (a sought person's fields are top level)."""
    errors: dict[str, str] = {}
    for error in exc.errors():
        loc = error["loc"]
        field = str(loc[1] if loc[0] == "sought" and len(loc) > 1 else loc[0])
        errors.setdefault(field, FIELD_KEYS.get(field, error_key(error)))
    return errors


def _places(conn: Connection) -> list[dict[str, Any]]:
    return queries.places(conn)


def _vehicles(conn: Connection, rows: list[dict[str, Any]]) -> dict[str, str]:
    ids = {r.get("vehicle_id") for r in rows}
    return {v: found["label"] for v in ids if v and (found := queries.vehicle(conn, v))}


def _with_match(person: dict[str, Any], score: float, agreed: Any,
                disagreed: Any) -> dict[str, Any]:
    return {**person, "score": score, "percent": round(score * 100),
            "agreed": list(agreed), "disagreed": list(disagreed)}


def _page(request: Request, who: Principal, template: str, status: int = 200,
          rows: list[dict[str, Any]] | None = None, **context: Any) -> HTMLResponse:
    """Render with the place names, gathering points and vehicle labels pages need."""
    with app_of(request).engine.connect() as conn:
        places = _places(conn)
        vehicles = _vehicles(conn, rows or [])
    return render(request, template, status, place_names={
        p["location_id"]: p["name"] for p in places},
        gathering=[p for p in places if p["kind"] == LocationKind.GATHERING_POINT],
        vehicles=vehicles, whereabouts=who.role in SEES_WHEREABOUTS, sexes=SEXES,
        **context)


# --- search ------------------------------------------------------------------------------


def _search_page(request: Request, who: Principal, status: int = 200,
                 values: dict[str, str] | None = None, errors: dict[str, str] | None = None,
                 results: list[dict[str, Any]] | None = None,
                 wait: int | None = None) -> HTMLResponse:
    response = _page(request, who, "tracing.html", status, results,
                     values=values or {**dict.fromkeys(SEARCH_FIELDS, ""), "tolerance": "2"},
                     errors=errors or {}, results=results, wait=wait)
    if wait is not None:
        response.headers["Retry-After"] = str(wait)
    return response


@router.get("/tracing", response_class=HTMLResponse)
def search_form(request: Request, who: Searcher) -> HTMLResponse:
    return _search_page(request, who)


@router.post("/tracing", response_class=HTMLResponse)
def search(request: Request, form: Posted, who: Searcher) -> HTMLResponse:
    values = {f: text(form, f) for f in SEARCH_FIELDS}
    try:
        found = desk.search(service(request), who, desk.SearchIn.model_validate({
            **_sought(values), "reason": values["reason"], "limit": RESULTS}))
    except ValidationError as exc:
        return _search_page(request, who, 422, values, _errors(exc))
    except Refused:  # the only reference a search names: where the person came from
        return _search_page(request, who, 422, values, {"origin": N_("error.choice")})
    except RateLimited as limited:
        return _search_page(request, who, 429, values, wait=limited.retry_after)
    results = [_with_match(f.person, f.match.score, f.match.agreed, f.match.disagreed)
               for f in found]
    return _search_page(request, who, values=values, results=results)


# --- tracing requests --------------------------------------------------------------------


def _blank_request() -> dict[str, Any]:
    return {**dict.fromkeys(REQUEST_FIELDS, ""), "tolerance": "2", "consent": False}


def _requests_page(request: Request, who: Principal, status: int = 200,
                   values: dict[str, Any] | None = None,
                   errors: dict[str, str] | None = None,
                   wait: int | None = None) -> HTMLResponse:
    rows = service(request).open_requests()
    record_read(app_of(request).engine, who, "web: list tracing requests", f"open: {len(rows)}")
    response = _page(request, who, "tracing_requests.html", status, open_requests=rows,
                     values=values or _blank_request(), errors=errors or {}, wait=wait,
                     may_file=may(who, "TracingRequestFiled"))
    if wait is not None:
        response.headers["Retry-After"] = str(wait)
    return response


@router.get("/tracing/requests", response_class=HTMLResponse)
def requests_list(request: Request, who: Desk) -> HTMLResponse:
    return _requests_page(request, who)


def _household_names(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


@router.post("/tracing/requests")
def file_request(request: Request, form: Posted, who: Filer) -> Response:
    values: dict[str, Any] = {f: text(form, f) for f in REQUEST_FIELDS}
    values["consent"] = form.get("consent") == "yes"
    try:
        filed = desk.file_request(service(request), who, desk.RequestIn.model_validate({
            "sought": {**_sought(values),
                       "household_names": _household_names(values["household_names"])},
            **{f: values[f] for f in ("requester_name", "relationship", "contact", "note")},
            "consent": values["consent"]}))
    except ValidationError as exc:
        errors = _errors(exc)
        if not values["consent"]:  # said at once, with the fields to correct
            errors["consent"] = N_("error.consent")
        return _requests_page(request, who, 422, values, errors)
    except Refused as refused:
        key = REFUSAL_KEYS.get(refused.field or "", N_("error.refused"))
        return _requests_page(request, who, refused.status, values,
                              {refused.field if refused.field in REFUSAL_KEYS else "form": key})
    except RateLimited as limited:
        return _requests_page(request, who, 429, values, wait=limited.retry_after)
    return RedirectResponse(f"/tracing/requests/{filed.request_id}?filed=1", status_code=303)


def _request_page(request: Request, who: Principal, request_id: str, status: int = 200,
                  errors: dict[str, str] | None = None,
                  notes: dict[str, str] | None = None) -> HTMLResponse:
    try:
        view = service(request).request_view(who, request_id)
    except RateLimited:
        raise WebError(429, N_("error.rate_limited")) from None
    if view is None:
        raise WebError(404, N_("error.no_request"))
    sought, candidates = view["request"], view["candidates"]
    for row in candidates:
        row["percent"] = round(row["score"] * 100)
    found = None
    if (found_id := sought.get("found_person_id")) is not None:
        found = next((c for c in candidates if c["person_id"] == found_id), None)
        if found is None:  # no longer among the candidates: look the person up
            found = audited(app_of(request).engine, who, "web: view person found",
                            lambda conn: queries.person(conn, found_id),
                            f"{request_id}: {found_id}", persons=lambda _: [found_id])
    is_open = sought["status"] == "open"
    return _page(request, who, "tracing_request.html", status, candidates,
                 sought=sought, candidates=candidates, found=found,
                 preselect=next((c["person_id"] for c in candidates
                                 if c["review"] == "confirmed"), None),
                 may_review=is_open and may(who, "TracingCandidateReviewed"),
                 may_close=is_open and may(who, "TracingRequestClosed"),
                 filed=request.query_params.get("filed") == "1", outcomes=OUTCOMES,
                 decisions=DECISIONS, errors=errors or {}, notes=notes or {})


@router.get("/tracing/requests/{request_id}", response_class=HTMLResponse)
def request_view(request_id: str, request: Request, who: Desk) -> HTMLResponse:
    return _request_page(request, who, request_id)


@router.post("/tracing/requests/{request_id}/reviews")
def review_candidate(request_id: str, request: Request, form: Posted,
                     who: CandidateReviewer) -> Response:
    person_id, note = text(form, "person_id"), text(form, "note")
    try:
        review = desk.ReviewIn.model_validate({"person_id": person_id, "note": note,
                                               "decision": text(form, "decision")})
        desk.review_candidate(app_of(request).ledger, who, request_id, review)
    except ValidationError:
        return _request_page(request, who, request_id, 422, {person_id: N_("error.invalid")},
                             {person_id: note})
    except Refused:
        return _request_page(request, who, request_id, 409, {person_id: N_("error.refused")},
                             {person_id: note})
    return RedirectResponse(f"/tracing/requests/{request_id}#c-{person_id}", status_code=303)


@router.post("/tracing/requests/{request_id}/close")
def close_request(request_id: str, request: Request, form: Posted, who: Closer) -> Response:
    outcome, person_id, note = text(form, "outcome"), text(form, "person_id"), text(form, "note")
    errors: dict[str, str] = {}
    if outcome not in OUTCOMES:
        errors["outcome"] = N_("error.choice")
    elif outcome == "found" and not person_id:
        errors["found_person"] = N_("error.found_person")
    if not errors:
        try:
            closure = desk.ClosureIn.model_validate({
                "outcome": outcome, "note": note,
                "person_id": person_id if outcome == "found" else None})
            desk.close_request(app_of(request).ledger, who, request_id, closure)
            return RedirectResponse(f"/tracing/requests/{request_id}", status_code=303)
        except ValidationError:
            errors["close"] = N_("error.invalid")
        except Refused:
            errors["close"] = N_("error.refused")
    status = 409 if errors.get("close") == "error.refused" else 422
    return _request_page(request, who, request_id, status, errors, {"close": note})


# --- duplicates --------------------------------------------------------------------------

def _duplicates_page(request: Request, who: Principal, status: int = 200,
                     errors: dict[str, str] | None = None,
                     notes: dict[str, str] | None = None) -> HTMLResponse:
    queue = service(request).duplicate_queue(who, QUEUE_SHOWN)
    merged = audited(app_of(request).engine, who, "web: view merged records",
                     queries.merged_pairs,
                     lambda merged: ", ".join(f"{p['merged']['person_id']}>"
                                              f"{p['kept']['person_id']}" for p in merged) or None,
                     persons=lambda merged: [p[side]["person_id"] for p in merged
                                             for side in ("merged", "kept")])
    for pair in queue:
        pair["percent"] = round(pair["score"] * 100)
        pair["key"] = f"{pair['person']['person_id']}:{pair['other']['person_id']}"
    just = request.query_params.get("merged")
    return _page(request, who, "duplicates.html", status,
                 [p[side] for p in queue for side in ("person", "other")],
                 queue=queue, merged=merged, errors=errors or {}, notes=notes or {},
                 just_merged=next((p for p in merged if p["merged"]["person_id"] == just),
                                  None),
                 unmerged=request.query_params.get("unmerged") is not None,
                 may_unmerge=may(who, "PersonsUnmerged"))


@router.get("/duplicates", response_class=HTMLResponse)
def duplicates(request: Request, who: DuplicateReviewer) -> HTMLResponse:
    return _duplicates_page(request, who)


def _pair(form: FormData) -> tuple[str, str, str]:
    return text(form, "person_id"), text(form, "other_id"), text(form, "note")


@router.post("/duplicates/decide")
def decide(request: Request, form: Posted, who: DuplicateReviewer) -> Response:
    person_id, other_id, note = _pair(form)
    key = f"{person_id}:{other_id}"
    try:
        decision = desk.DecisionIn.model_validate({"person_id": person_id,
                                                   "other_id": other_id, "note": note,
                                                   "decision": text(form, "decision")})
        decided = desk.decide_duplicate(app_of(request).ledger, who, decision)
    except ValidationError:
        return _duplicates_page(request, who, 422, {key: N_("error.invalid")}, {key: note})
    except Refused as refused:
        return _duplicates_page(request, who, refused.status, {key: N_("error.refused")},
                                {key: note})
    if decided.merged_id is not None:
        return RedirectResponse(f"/duplicates?merged={decided.merged_id}#merged",
                                status_code=303)
    return RedirectResponse("/duplicates", status_code=303)


@router.post("/duplicates/unmerge")
def unmerge(request: Request, form: Posted, who: Unmerger) -> Response:
    person_id, other_id, note = _pair(form)
    key = f"unmerge:{other_id}"
    try:
        pair = desk.UnmergeIn(person_id=person_id, other_id=other_id, note=note)
        desk.unmerge(app_of(request).ledger, who, pair)
    except ValidationError:
        return _duplicates_page(request, who, 422, {key: N_("error.invalid")}, {key: note})
    except Refused as refused:
        return _duplicates_page(request, who, refused.status, {key: N_("error.refused")},
                                {key: note})
    return RedirectResponse("/duplicates?unmerged=1", status_code=303)
