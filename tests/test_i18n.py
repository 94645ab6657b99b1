"""The web UI's gettext catalogues: complete in both languages, plurals right in each.

Messages are found the way `pybabel extract` finds them (the repository's babel.cfg,
the keywords docs/translations.md gives), so a string added to a template or to the
web code without its English and Arabic fails here, not on a field worker's phone.
"""

from __future__ import annotations

import re
import string
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient
from web_server import PASSWORD, Site

from corridor.domain import vocabulary
from corridor.server import create_app
from corridor.services import overview as figures
from corridor.storage.database import connect, initialise
from corridor.web import tracing
from corridor.web.i18n import DIRECTION, Translator, po_path, translations
from corridor.web.labels import LABELS

ROOT = Path(__file__).parents[1]
# As on the `pybabel extract` command line: -k t -k N_ -k tn:1,1
KEYWORDS: dict[str, Any] = {"t": None, "N_": None, "tn": (1, 1)}
LANGUAGES = tuple(DIRECTION)


def extracted() -> dict[str, bool]:
    """Every message key in the templates and web code -> whether it has plural forms."""
    with (ROOT / "babel.cfg").open() as mapping:
        method_map, options_map = parse_mapping_cfg(mapping)
    found: dict[str, bool] = {}
    for _, _, message, _, _ in extract_from_dir(ROOT, method_map, options_map,
                                                  keywords=KEYWORDS):
        key = message[0] if isinstance(message, tuple) else message
        found[key] = found.get(key, False) or isinstance(message, tuple)
    return found


def catalogue(lang: str) -> Catalog:
    with po_path(lang).open("rb") as source:
        return read_po(source, locale=lang)


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_extraction_finds_the_web_ui_messages() -> None:
    used = extracted()
    assert len(used) > 300  # the mapping still reaches the templates and the web code
    assert {"nav.skip", "error.csrf", "status.waiting"} <= used.keys()
    assert used["tracing.rate_limited"] and not used["nav.skip"]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_is_translated_in_both_languages(lang: str) -> None:
    used, found = extracted(), catalogue(lang)
    entries = {m.id[0] if m.pluralizable else m.id: m for m in found if m.id}
    assert sorted(used.keys() - entries.keys()) == [], "missing: run pybabel update"
    assert sorted(entries.keys() - used.keys()) == [], "no longer used: run pybabel update"
    assert not found.obsolete, "obsolete (#~) entries: delete them"
    for key, plural in used.items():
        entry = entries[key]
        assert entry.pluralizable == plural, key
        forms = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        assert len(forms) == (found.num_plurals if plural else 1), key
        assert all(form.strip() for form in forms), f"{lang}: {key} is untranslated"
        assert not entry.fuzzy, f"{lang}: {key} is fuzzy (shown in English until checked)"


def test_translations_ask_only_for_the_values_the_page_gives() -> None:
    """A `{name}` in Arabic that English does not have would fail when the page renders."""
    english = {m.id[0] if m.pluralizable else m.id: m for m in catalogue("en") if m.id}
    for entry in catalogue("ar"):
        if not entry.id:
            continue
        key = entry.id[0] if entry.pluralizable else entry.id
        given = set().union(*(fields(s) for s in _forms(english[key].string)))
        for form in _forms(entry.string):
            assert fields(form) <= given, (key, form)


def _forms(value: str | tuple[str, ...]) -> tuple[str, ...]:
    return value if isinstance(value, tuple) else (value,)


def test_the_plural_rules_are_the_languages_own() -> None:
    assert catalogue("en").num_plurals == 2 and catalogue("ar").num_plurals == 6
    # The rule the running app applies, read from the compiled catalogue's header:
    # zero, one, two, few (3-10), many (11-99), other (100-102, ...)
    arabic = translations("ar").plural  # type: ignore[attr-defined]
    assert [arabic(n) for n in (0, 1, 2, 3, 10, 11, 99, 100, 102, 103, 111)] \
        == [0, 1, 2, 3, 3, 4, 4, 5, 5, 3, 4]
    assert [translations("en").plural(n) for n in (0, 1, 2)] == [1, 0, 1]  # type: ignore[attr-defined]


def test_labels_built_at_run_time_cover_their_vocabulary() -> None:
    """Templates build these keys from a value (`"status." ~ p.status`); each list must
    name every value, or a new one would show its bare key."""
    vocabularies: dict[str, Any] = {
        "status": vocabulary.Status, "need": vocabulary.Need, "sex": vocabulary.Sex,
        "vehicle_kind": vocabulary.VehicleKind, "location_kind": vocabulary.LocationKind,
        "convoy_state": vocabulary.ConvoyState, "alert_kind": vocabulary.AlertKind,
        "incident_type": vocabulary.IncidentType, "role": vocabulary.Role,
        "outcome": tracing.OUTCOMES, "review": tracing.DECISIONS,
        "review_action": tracing.DECISIONS,
    }
    for prefix, values in vocabularies.items():
        assert set(LABELS[prefix]) == {f"{prefix}.{v}" for v in values}, prefix
    for prefix, keys in LABELS.items():
        assert all(key.startswith(prefix + ".") for key in keys), prefix


SECONDS = {
    0: "انتظر 0 ثانية ثم",
    1: "انتظر ثانية واحدة ثم",
    2: "انتظر ثانيتين ثم",
    3: "انتظر 3 ثوانٍ ثم",
    11: "انتظر 11 ثانيةً ثم",
    100: "انتظر 100 ثانية ثم",
}
OPEN_ALERTS = {0: "تنبيه مفتوح", 1: "تنبيه مفتوح", 2: "تنبيهان مفتوحان", 3: "تنبيهات مفتوحة",
               11: "تنبيهًا مفتوحًا", 100: "تنبيه مفتوح"}


@pytest.mark.parametrize("n", sorted(SECONDS))
def test_arabic_plurals_follow_the_number(n: int) -> None:
    ar, en = Translator("ar"), Translator("en")
    assert SECONDS[n] in ar.plural("tracing.rate_limited", n, seconds=n)
    assert ar.plural("dashboard.open_alerts", n) == OPEN_ALERTS[n]
    wait = en.plural("tracing.rate_limited", n, seconds=n)
    assert f"Wait {n} second{'' if n == 1 else 's'}, then" in wait
    assert en.plural("dashboard.open_alerts", n) == ("open alert" if n == 1 else "open alerts")


def test_a_missing_arabic_string_falls_back_to_english_and_a_missing_key_shows() -> None:
    assert Translator("ar")("nav.skip") == "انتقل إلى المحتوى"
    assert Translator("en")("convoys.on_board", n=3, capacity=50) == "On board: 3 of 50"
    assert Translator("ar")("no.such_key") == "no.such_key"


@pytest.mark.parametrize("n", [0, 1, 2, 11])
def test_the_dashboard_says_open_alerts_in_the_number_s_form(
        n: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = connect(str(tmp_path / "corridor.db"))
    initialise(engine)
    site = Site.with_users("http://testserver", create_app(engine, secret="s"), engine)
    browser = TestClient(site.app)
    token = re.search(r'name="csrf" value="([^"]+)"', browser.get("/login").text)
    assert token
    browser.post("/login", data={"username": "coordinator", "password": PASSWORD,
                                 "csrf": token.group(1)})
    counts = figures.counts
    monkeypatch.setattr(figures, "counts", lambda state: {**counts(state), "open_alerts": n})
    arabic = browser.get("/?lang=ar").text
    assert '<html lang="ar" dir="rtl">' in arabic
    assert re.search(rf"data-open-alerts>{n}</span>\s*<span>{OPEN_ALERTS[n]}</span>", arabic)
    english = browser.get("/?lang=en").text
    label = "open alert" if n == 1 else "open alerts"
    assert re.search(rf"data-open-alerts>{n}</span>\s*<span>{label}</span>", english)
    engine.dispose()
