"""The field app's name keys (static/js/names.js) are the server's (matching/names.py).

Reception searches a vehicle's manifest on the phone, offline; it must find whom the
server's own matching would. In Chromium, names.js gives the same normalised text,
tokens, keys, readings and vowel classes as Python for every name of the demo's
tables and of tests/data (both scripts), plus the spellings the matching tests use,
and the same similarity for pairs of their tokens.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

from corridor.demo.population import FAMILY_NAMES, FEMALE_NAMES, MALE_NAMES
from corridor.matching.names import analyse, normalise, similarity, tokens

DATA = Path(__file__).parent / "data"
NAMES_JS = "/field/static/js/names.js"
# Spellings the rules exist for: harakat, tatweel, hamza seats, presentation forms,
# Arabizi, Turkish letters, articles and compounds, digraphs, nicknames.
SPELLINGS = [
    "مُحَمَّـــد", "أحمد إبراهيم آمنة ٱلله", "Maïssa Çelik Şahin Sa'id", "ﻣﺤﻤﺪ",
    "Mo7amed 3ali, 2016", "Abd al-Rahman", "Abdulrahman", "Abdel Rahman", "عبدالرحمن",
    "Abdurrahman", "Abderrahmane", "Abd-Elrahman", "ABDUL RAHMAN", "Nour al-Din ash-Shami",
    "Saad Allah Abu Zeid", "Mohammed bin Salman", "As Sayed Assad", "Mhd El Hassan",
    "Hammoudi", "حمودي", "Awiwi", "عويوي", "Fathi", "Adham", "Otman", "Deeb", "Ouassim",
    "Oualid", "Xalid", "Garni", "Gamal", "Fatimah", "ميادة", "حمودة", "Alaa", "الاء",
    "Elias", "Darwish", "O'Brien‎ Zoë", "Mohammed‌Ali"]


def corpus() -> list[str]:
    names = {name for arabic, latin, *_ in (*MALE_NAMES, *FEMALE_NAMES, *FAMILY_NAMES)
             for name in (arabic, *latin)}
    with (DATA / "pre_registration_ar.csv").open(encoding="utf-8-sig") as rows:
        for row in list(csv.reader(rows, delimiter=";"))[1:]:
            names.update(row[3:6])
    return sorted((names | set(SPELLINGS)) - {""})


def test_names_js_gives_the_servers_keys(page: Page) -> None:
    names = corpus()
    assert len(names) > 500
    found = {token for name in names for token in tokens(name)}
    ordered = sorted(found)
    pairs = [(a, b) for i, a in enumerate(ordered) for b in ordered[i::11]]
    page.goto("/field")
    got: dict[str, Any] = page.evaluate("""async ([url, names, pairs]) => {
        const n = await import(url);
        const seen = (t) => { const a = n.analyse(t); return [a.key, a.keys, a.gaps]; };
        const tokens = names.map((name) => n.tokens(name));
        return {
            normalise: names.map((name) => n.normalise(name)),
            tokens,
            analysed: Object.fromEntries(tokens.flat().map((t) => [t, seen(t)])),
            similarity: pairs.map(([a, b]) => n.similarity(n.analyse(a), n.analyse(b))),
        };
    }""", [NAMES_JS, names, pairs])
    assert got["normalise"] == [normalise(name) for name in names]
    assert got["tokens"] == [tokens(name) for name in names]
    assert got["analysed"] == {t: [analyse(t).key, list(analyse(t).keys), list(analyse(t).gaps)]
                               for t in found}
    expected = [similarity(analyse(a), analyse(b)) for a, b in pairs]
    assert len(pairs) > 10_000
    assert all(abs(a - b) < 1e-9 for a, b in zip(got["similarity"], expected, strict=True))


def test_a_manifest_is_searched_across_scripts(page: Page) -> None:
    manifest = [
        {"person_id": "1", "given_name": "فاطمة", "family_name": "الحلبي"},
        {"person_id": "2", "given_name": "Mohammed", "father_name": "Ali",
         "family_name": "al-Hassan"},
        {"person_id": "3", "given_name": "محمود", "family_name": "الحسن"},
        {"person_id": "4", "given_name": "Layla", "family_name": "Khalil"},
    ]
    page.goto("/field")
    search = """async ([url, people, query]) => {
        const n = await import(url);
        return n.search(people, query).map((hit) => hit.person.person_id);
    }"""

    def found(query: str) -> list[str]:
        return list(page.evaluate(search, [NAMES_JS, manifest, query]))

    assert found("Fatima Halabi") == ["1"]
    assert found("محمد الحسن")[0] == "2"  # the Latin spelling, first; Mahmoud after
    assert found("Mahmoud")[0] == "3"  # Mohammed's key too: after, as undecided
    assert found("ليلى") == ["4"]
    assert found("Lay")[0] == "4"  # a name still being typed
    assert found("Omar") == []
