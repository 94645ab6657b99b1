"""What goes on the printed code cards: household token cards to pre-print, a
household's wristbands, a convoy's vehicle cards (docs/codes.md).

Each card is a QR payload and the text printed under it: the code with its check
character (`domain/codes.py`), never a name. A wristband's QR names the person by
id, so printing a household's wristbands is a read of its people, audited.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from corridor.domain import codes
from corridor.services import board, reads
from corridor.services.ledger import Ledger, Principal
from corridor.services.reads import ReadRefused

MAX_TOKENS = 240  # twenty A4 sheets at a time


@dataclass(frozen=True, slots=True)
class Card:
    payload: str  # what the QR code carries
    text: str  # printed under it: the code with its check character
    label: str = ""  # a vehicle's label; nothing for a person


def token_cards(ledger: Ledger, count: int) -> list[Card]:
    """`count` fresh household tokens, none already used in the operation."""
    if not 1 <= count <= MAX_TOKENS:
        raise ReadRefused(422, f"count: from 1 to {MAX_TOKENS}", "count")
    used = set(ledger.read(lambda state: frozenset(state.tokens)))
    cards = []
    for _ in range(count):
        token = codes.fresh_token(used)
        used.add(token)
        cards.append(Card(codes.payload(codes.Kind.HOUSEHOLD, token), codes.with_check(token)))
    return cards


def wristband_cards(engine: Engine, principal: Principal, household_id: str) -> list[Card]:
    """One wristband for each member the account may see, printed with the household's
    token; audited as a read of those people."""
    household = reads.household(engine, principal, household_id, action="print wristbands")
    token = household.get("token")
    if not token:
        raise ReadRefused(409, f"household {household_id} has no token: issue one first",
                          "token")
    printed = codes.with_check(token)
    return [Card(codes.payload(codes.Kind.PERSON, member["person_id"]), printed)
            for member in household["members"]]


def vehicle_cards(ledger: Ledger, principal: Principal, convoy_id: str) -> tuple[str, list[Card]]:
    """The convoy's label and a card for each of its vehicles."""
    convoy = board.convoy(ledger, principal, convoy_id)
    return convoy["label"], [
        Card(codes.payload(codes.Kind.VEHICLE, v["vehicle_id"]), codes.with_check(v["vehicle_id"]),
             v["label"]) for v in convoy["vehicles"]]
