"""Printable sheets of code cards: A4 pages of QR codes, each with the code and its
check character under it and no name anywhere (docs/codes.md). The cards come from
`services.code_cards`; here they only become inline SVG and pages."""

from __future__ import annotations

from typing import Annotated, Any

import segno
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from corridor.domain.permissions import PRINTS_TOKENS, PRINTS_VEHICLE_CARDS
from corridor.services import code_cards
from corridor.services.code_cards import Card
from corridor.services.ledger import Principal
from corridor.services.reads import ReadRefused
from corridor.web.i18n import N_
from corridor.web.page import WebError, app_of, one_of, render, web_refusal

router = APIRouter(include_in_schema=False)
PER_SHEET = 12  # three across, four down, on A4
Issuer = Annotated[Principal, one_of(*PRINTS_TOKENS)]
Coordinator = Annotated[Principal, one_of(*PRINTS_VEHICLE_CARDS)]


def qr_svg(payload: str) -> Markup:
    """The QR code as inline SVG, sized by the stylesheet (a viewBox, no size): medium
    error correction, which survives a crease or a smudge."""
    svg = segno.make(payload, error="m", micro=False).svg_inline(
        omitsize=True, border=4, dark="#000", svgclass="qr")
    return Markup(svg.replace("<svg ", '<svg role="img" aria-hidden="true" ', 1))  # noqa: S704


def _sheets(request: Request, title: str, cards: list[Card], **context: Any) -> HTMLResponse:
    drawn = [{"qr": qr_svg(card.payload), "text": card.text, "label": card.label}
             for card in cards]
    sheets = [drawn[n:n + PER_SHEET] for n in range(0, len(drawn), PER_SHEET)]
    return render(request, "codes.html", title=title, sheets=sheets, count=len(cards),
                  **context)


@router.get("/codes/tokens", response_class=HTMLResponse)
def token_sheet(request: Request, who: Issuer, count: str = str(PER_SHEET)) -> HTMLResponse:
    try:
        cards = code_cards.token_cards(app_of(request).ledger, int(count))
    except (ValueError, ReadRefused):
        raise WebError(422, N_("error.card_count")) from None
    return _sheets(request, N_("codes.tokens"), cards, kind="tokens",
                   hint=N_("codes.hint_tokens"))


@router.get("/households/{household_id}/wristbands", response_class=HTMLResponse)
def wristbands(household_id: str, request: Request, who: Issuer) -> HTMLResponse:
    try:
        cards = code_cards.wristband_cards(app_of(request).engine, who, household_id)
    except ReadRefused as refused:
        if refused.status == 409:
            raise WebError(409, N_("error.no_token")) from None
        raise web_refusal(refused, N_("error.no_household")) from None
    return _sheets(request, N_("codes.wristbands"), cards, kind="wristbands",
                   hint=N_("codes.hint_wristbands"))


@router.get("/convoys/{convoy_id}/vehicle-cards", response_class=HTMLResponse)
def vehicle_sheet(convoy_id: str, request: Request, who: Coordinator) -> HTMLResponse:
    try:
        label, cards = code_cards.vehicle_cards(app_of(request).ledger, who, convoy_id)
    except ReadRefused as refused:
        raise web_refusal(refused, N_("error.no_convoy")) from None
    return _sheets(request, N_("codes.vehicles"), cards, kind="vehicles", convoy=label,
                   hint=N_("codes.hint_vehicles"))
