"""The convoy board and the convoy page, now or as of an earlier moment.

Shown now, each page's live part refreshes itself while a coordinator watches
(`static/live.js` asks for it again every `REFRESH_SECONDS` while the tab is
visible): the route answers `?part=live` with that part alone, or 204 when nothing
was recorded since the sequence number the page already shows.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from corridor.domain.control import FACT, Action
from corridor.domain.vocabulary import ConvoyState
from corridor.services import board
from corridor.services.ledger import Ledger
from corridor.services.reads import ReadRefused
from corridor.services.timeline import Moment
from corridor.services.views.convoys import Filters
from corridor.web.i18n import N_
from corridor.web.page import AsOf, SignedIn, WebError, app_of, may, render, web_refusal

router = APIRouter(include_in_schema=False)

REFRESH_SECONDS = 10
# Convoy states whose reason the board shows beside the state.
EXPLAINED = frozenset({ConvoyState.HELD, ConvoyState.TURNED_BACK, ConvoyState.ABORTED})
# What the convoy page's history says of each fact.
HISTORY_LABELS = {"ConvoyPlanned": N_("convoy_page.history.planned"),
                  "ConvoyDeparted": N_("convoy_page.history.departed"),
                  "ConvoyHeld": N_("convoy_page.history.held"),
                  "ConvoyReleased": N_("convoy_page.history.released"),
                  "ConvoyTurnedBack": N_("convoy_page.history.turned_back"),
                  "ConvoyReturned": N_("convoy_page.history.returned"),
                  "ConvoyAborted": N_("convoy_page.history.aborted"),
                  "VehicleArrived": N_("convoy_page.history.arrived")}


@router.get("/convoys", response_class=HTMLResponse)
def convoy_board(request: Request, who: SignedIn, when: AsOf, day: str | None = None,
                 state: str | None = None, route: str | None = None, page: str | None = None,
                 part: str | None = None, since: str | None = None) -> Response:
    try:
        filters = Filters.read(day, state, route, _number(page))
    except ReadRefused:
        raise WebError(422, N_("error.invalid")) from None
    ledger = app_of(request).ledger
    if _unchanged(ledger, part, since):
        return Response(status_code=204)
    found = board.convoy_board(ledger, who, filters, when)
    return render(request, "convoys_live.html" if part == "live" else "convoys.html",
                  board=found, filters=filters, states=list(ConvoyState),
                  **_shown(request, when))


@router.get("/convoys/{convoy_id}", response_class=HTMLResponse)
def convoy_page(convoy_id: str, request: Request, who: SignedIn, when: AsOf,
                part: str | None = None, since: str | None = None,
                recorded: bool = False) -> Response:
    ledger = app_of(request).ledger
    if _unchanged(ledger, part, since):
        return Response(status_code=204)
    try:
        found = board.convoy(ledger, who, convoy_id, when)
    except ReadRefused as refused:
        raise web_refusal(refused, N_("error.no_convoy")) from None
    # Shown now, the decisions the convoy allows that this account may record.
    actions = [action for action in found["actions"]
               if when.now and may(who, FACT[Action(action)].__name__)]
    return render(request, "convoy_live.html" if part == "live" else "convoy.html",
                  convoy=found, actions=actions, history_labels=HISTORY_LABELS,
                  recorded=recorded and when.now, **_shown(request, when))


def _unchanged(ledger: Ledger, part: str | None, since: str | None) -> bool:
    """A live part asked for again with nothing recorded since the one the page shows."""
    return part == "live" and since is not None and since == str(board.seq_now(ledger))


def _shown(request: Request, when: Moment) -> dict[str, Any]:
    """What both pages and their live parts need: the moment, the names of places, and
    where the live part is fetched from (only now: an earlier moment does not change)."""
    url = request.url.remove_query_params(["part", "since"]).include_query_params(part="live")
    return {"moment": when, "explained": EXPLAINED, "refresh": REFRESH_SECONDS,
            "live_url": f"{url.path}?{url.query}" if when.now else None}


def _number(text: str | None) -> int | None:
    if not text:
        return None
    if not text.isdigit():
        raise ReadRefused(422, "page is not a number", "page")
    return int(text)
