"""Every string the field app's screens show exists in English and in Arabic.

The screens look their strings up by key (`ctx.t("mon.manifest")`); a key missing from
a bundle would show as the key itself, in the field, offline. Keys written out in
the screens' code, and those made from the vocabulary (`need.${n}`), are in both
`screens.*.json` (or the shell's), with the same placeholders, and the Arabic ones
are Arabic.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from corridor.domain.vocabulary import (
    ARRIVAL_KINDS,
    ConvoyState,
    IncidentType,
    Need,
    RemovalReason,
    Sex,
)

STATIC = Path(__file__).parents[1] / "src" / "corridor" / "field" / "static"
SCREENS = [STATIC / "js" / "codes.js", STATIC / "js" / "scan.js",
           *sorted((STATIC / "js" / "screens").glob("*.js"))]
# Keys the screens make from the vocabulary and the event types they record.
MADE = {"need": list(Need), "sex": list(Sex), "removal": list(RemovalReason),
        "incident": list(IncidentType), "convoy": list(ConvoyState),
        "kind": sorted(ARRIVAL_KINDS),
        "mon.record": ["CheckpointPassed", "PersonRemoved", "ConvoyHeld", "ConvoyReleased",
                       "IncidentReported"],
        "rec.record": ["VehicleArrived", "PersonCheckedIn"],
        "mon": ["killed", "injured"], "person": ["given_name", "father_name", "family_name",
                                                "birth_year", "destination"]}


def bundle(lang: str) -> dict[str, str]:
    strings: dict[str, str] = {}
    for name in ("shell", "screens"):
        strings |= json.loads((STATIC / "locales" / f"{name}.{lang}.json").read_text("utf-8"))
    return strings


def used() -> set[str]:
    """Every key the screens' code names: in ctx.t("…"), a CodeError's key, or the
    `key` of a helper (submitButton(ctx, fixed, "mon.record_count")), plus those made
    from the vocabulary."""
    keys = set()
    for path in SCREENS:
        code = path.read_text("utf-8")
        keys |= set(re.findall(r'"((?:[a-z]+\.)+[a-z_]+)"', code))
    keys = {k for k in keys if not k.endswith((".js", ".wasm"))}
    return keys | {f"{prefix}.{value}" for prefix, values in MADE.items() for value in values}


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_every_key_the_screens_use_is_translated(lang: str) -> None:
    strings = bundle(lang)
    missing = sorted(k for k in used() if k not in strings)
    assert not missing, missing


def test_both_languages_hold_the_same_strings_used_with_the_same_placeholders() -> None:
    en, ar = (json.loads((STATIC / "locales" / f"screens.{lang}.json").read_text("utf-8"))
              for lang in ("en", "ar"))
    assert en.keys() == ar.keys()
    assert not sorted(en.keys() - used()), "strings no screen shows"
    placeholders = re.compile(r"\{(\w+)\}")
    for key, text in en.items():
        assert set(placeholders.findall(text)) == set(placeholders.findall(ar[key])), key
        if re.search(r"[A-Za-z]{3}", placeholders.sub("", text)) and key != "board.seats":
            assert re.search("[\u0600-\u06ff]", ar[key]), f"{key} is not in Arabic"
