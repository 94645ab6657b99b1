"""The dashboard of counts, and moving an illustrative operation forward from it
(`services.rehearsal`)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from corridor.domain.permissions import COORDINATES
from corridor.domain.vocabulary import Need, Role, Status
from corridor.services import overview, queries, rehearsal
from corridor.services.ledger import Principal, Refused
from corridor.services.timeline import NOW, Moment
from corridor.services.views.dashboard import ARRIVALS
from corridor.web.chart import data_uri, movements_svg
from corridor.web.i18n import N_, Translator, language
from corridor.web.page import AsOf, Posted, SignedIn, WebError, app_of, may, render

router = APIRouter(include_in_schema=False)

# The statuses after the unaccounted, in the order a coordinator reads them.
GLANCE = (Status.ON_VEHICLE, Status.ARRIVED, Status.WAITING, Status.REMOVED, Status.STAYED)


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, who: SignedIn, when: AsOf) -> HTMLResponse:
    return _dashboard(request, who, when)


def _dashboard(request: Request, who: Principal, when: Moment, status: int = 200,
               error: str | None = None) -> HTMLResponse:
    app = app_of(request)
    partner = who.role == Role.PARTNER
    seen = overview.operation(app, who, when)
    counts = seen["counts"]
    # Row totals would undo the partners' small-cell suppression, so only staff get them.
    need_totals = None if partner else {
        need: sum(row.values()) for need, row in counts["by_need"].items()}
    with app.engine.connect() as conn:
        names = {p["location_id"]: p["name"] for p in queries.places(conn)}
    t = Translator(language(request))
    names[ARRIVALS] = t("dashboard.arrivals")
    real = bool(seen["operation"] and not seen["operation"]["illustrative"])
    # The demo's clock and its form: now only, for those who may move it on.
    demo = rehearsal.standing(app.engine) \
        if not real and when.now and who.role in COORDINATES else None
    return render(request, "dashboard.html", status, counts=counts, statuses=list(Status),
                  glance=GLANCE, needs=list(Need), need_totals=need_totals, partner=partner,
                  moment=when, series=names,
                  chart=data_uri(movements_svg(counts["movements"], names, t)), demo=demo,
                  demo_error=error, operation=seen["operation"],
                  reviews_duplicates=may(who, "DuplicateReviewed") and when.now)


@router.post("/demo/advance")
def advance_demo(request: Request, form: Posted, who: SignedIn) -> Response:
    """Move an illustrative operation forward to the step chosen on the dashboard."""
    app = app_of(request)
    standing = rehearsal.standing(app.engine)
    step = form.get("to")
    if standing is None or not isinstance(step, str) or (
            step != "end" and step not in standing.steps):
        raise WebError(422, N_("error.invalid"))
    try:
        rehearsal.advance(app.ledger, who, None if step == "end" else standing.steps[step])
    except Refused as refused:
        if refused.status == 403:
            raise WebError(403, N_("error.forbidden")) from None
        return _dashboard(request, who, NOW, refused.status, N_("demo.refused"))
    return RedirectResponse("/", status_code=303)

