"""Codes people type and scan: household tokens and vehicle ids, with a check character.

A code is typed from a card at a gathering point or a checkpoint, in a queue, often
by a gloved hand. The check character (ISO/IEC 7064, MOD 37,36 hybrid) is written
after the code with a '-': token `F-00012` is typed `F-00012-V`. It is computed over
the code's letters and digits, case-insensitive; any other character is ignored,
so ` f-00012-v ` is read as the same code. It catches every single wrong character.
It catches a swap of two neighbours too, except in one case in 630: where two
neighbours have consecutive values (`H` and `I`, `Z` and `0`) and the characters
before them put the computation at one particular remainder. A token Corridor draws
itself (`fresh_token`) is drawn again until no swap of its neighbours, the check
character's included, goes unnoticed, so for those every swap is caught.
`static/js/codes.js` in the field app implements the same rule.

A QR code carries a payload saying what it is: `CORRIDOR:H:<token>` a household's
token card, `CORRIDOR:P:<person_id>` a person's wristband, `CORRIDOR:V:<vehicle_id>`
a vehicle card. Nothing else is in it: no name is ever on paper.
"""

from __future__ import annotations

import re
import secrets
from enum import StrEnum

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_VALUE = {c: n for n, c in enumerate(ALPHABET)}
_M = 36  # MOD 37,36: the remainder is kept in 1..36, doubled modulo 37

# No 0/O, 1/I/L, 2/Z, 5/S, 8/B pairs to misread from a smudged card or a bad screen.
UNAMBIGUOUS = "34679ACDEFGHJKMNPQRTUVWXY"
TOKEN_LENGTH = 6  # 25**6, 244 million: a random draw meets a used token almost never
PREFIX = "CORRIDOR"


class CodeError(ValueError):
    """A typed or scanned code that is not one: the message says what is wrong."""


class Kind(StrEnum):
    """What a QR payload names."""

    HOUSEHOLD = "H"
    PERSON = "P"
    VEHICLE = "V"


def _characters(code: str) -> str:
    """The characters the check counts: letters and digits, upper case."""
    return "".join(c for c in code.upper() if c in _VALUE)


def _remainder(characters: str, p: int = _M) -> int:
    """The remainder (1..36) after `characters`, starting from `p`."""
    for c in characters:
        s = (p + _VALUE[c]) % _M or _M
        p = s * 2 % (_M + 1)
    return p


def check_character(code: str) -> str:
    """The character that, written after `code`, makes it check."""
    characters = _characters(code)
    if not characters:
        raise CodeError("a code needs at least one letter or digit")
    return ALPHABET[(_M + 1 - _remainder(characters)) % _M]


def checks(code_with_check: str) -> bool:
    """Does the last letter or digit check the ones before it?"""
    characters = _characters(code_with_check)
    return len(characters) >= 2 and (_remainder(characters[:-1]) + _VALUE[characters[-1]]) \
        % _M == 1


def with_check(code: str) -> str:
    """The code as printed and typed: `F-00012` becomes `F-00012-V`."""
    return f"{code}-{check_character(code)}"


def parse(typed: str) -> str:
    """The code in a typed `code-check` text, upper case, its check verified.

    Spaces around it are ignored and letters may be in either case; the last '-'
    separates the check character. Raises CodeError saying what is wrong."""
    text = typed.strip().upper()
    code, dash, check = text.rpartition("-")
    if not dash or not code:
        raise CodeError(f"{typed.strip()!r} has no check character: type the code, a '-' "
                        "and the character printed after it")
    if len(check) != 1 or check not in _VALUE:
        raise CodeError(f"{check!r} is not a check character: one letter or digit after "
                        "the last '-'")
    if not _characters(code):
        raise CodeError("a code needs at least one letter or digit")
    if not checks(text):
        raise CodeError(f"{text} does not check: a character is wrong or two are swapped")
    return code.strip()


CARD = re.compile(r"^[0-9A-Z]{3}-[0-9A-Z]{3}-[0-9A-Z]$")  # a drawn token, as printed


def typed_token(typed: str) -> str:
    """A household token as typed into a form: one of the shape printed on token cards
    (`KHU-T7F-W`) must check, and is the token without its check character; anything
    else (a family number such as `F-12`) is the token as typed."""
    text = typed.strip().upper()
    return parse(text) if CARD.match(text) else typed.strip()


def payload(kind: Kind, key: str) -> str:
    """What a QR code carries: `CORRIDOR:H:F-00012`."""
    return f"{PREFIX}:{kind}:{key}"


def read_payload(scanned: str) -> tuple[Kind, str]:
    """What a scanned QR code names, or CodeError."""
    prefix, _, rest = scanned.strip().partition(":")
    kind, _, key = rest.partition(":")
    if prefix != PREFIX or kind not in {k.value for k in Kind} or not key:
        raise CodeError(f"{scanned.strip()[:60]!r} is not a Corridor code")
    return Kind(kind), key


def _swaps_caught(code_with_check: str) -> bool:
    characters = _characters(code_with_check)
    return all(not checks(characters[:n] + characters[n + 1] + characters[n] + characters[n + 2:])
               for n in range(len(characters) - 1) if characters[n] != characters[n + 1])


def fresh_token(used: set[str] | frozenset[str]) -> str:
    """A random household token, `XXX-XXX`, from the unambiguous letters and digits, not
    in `used`, whose check character is unambiguous too and under which every swap of
    two neighbours is caught."""
    while True:
        raw = "".join(secrets.choice(UNAMBIGUOUS) for _ in range(TOKEN_LENGTH))
        token = f"{raw[:3]}-{raw[3:]}"
        if token in used or check_character(token) not in UNAMBIGUOUS:
            continue
        if _swaps_caught(with_check(token)):
            return token
