"""English and Arabic: every string the web UI shows comes from a gettext catalogue.

The catalogues are `locales/<lang>/LC_MESSAGES/corridor.po`, kept with Babel's
`pybabel extract/update` (docs/translations.md). Their message ids are keys such as
`nav.skip`, not English sentences: the same English ("Arrived", "Sign in", "Closed")
needs different Arabic in different places (a person arrived, a convoy arrived), and
keys keep each place its own entry; the English text is the `en` catalogue's.

The `.po` files are read at start-up and compiled in memory (Babel's `read_po` and
`write_mo`, about 20 ms for both), so there is no compiled file to forget to rebuild
or to fall out of step with its source. Plural messages follow the catalogue's
`Plural-Forms` header: two forms in English, six in Arabic.

A missing or fuzzy Arabic string falls back to English, and a missing key shows
itself, so a gap is visible on the page instead of breaking it; tests keep both
catalogues complete.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from starlette.requests import Request

LOCALES = Path(__file__).parent / "locales"
DOMAIN = "corridor"
DIRECTION = {"en": "ltr", "ar": "rtl"}
DEFAULT = "en"


def N_(key: str) -> str:
    """Marks a key for `pybabel extract` where it is chosen, to be translated where shown."""
    return key


def po_path(lang: str) -> Path:
    return LOCALES / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(lang: str) -> Translations:
    """The language's catalogue, compiled from its .po; English behind every other."""
    with po_path(lang).open("rb") as source:
        catalog = read_po(source, locale=lang, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog)  # fuzzy entries are left out, so they fall back
    compiled.seek(0)
    found = Translations(compiled, domain=DOMAIN)
    if lang != DEFAULT:
        found.add_fallback(translations(DEFAULT))
    return found


@dataclass(frozen=True, slots=True)
class Translator:
    """`t("key", name=value)` in templates; `tn("key", n, ...)` where a count decides the
    form (the count is also there as `{n}`)."""

    lang: str

    @property
    def dir(self) -> str:
        return DIRECTION[self.lang]

    def __call__(self, key: str, **values: Any) -> str:
        text = translations(self.lang).gettext(key)
        return text.format(**values) if values else text

    def plural(self, key: str, n: int, **values: Any) -> str:
        return translations(self.lang).ngettext(key, key, n).format(**{"n": n, **values})


def language(request: Request) -> str:
    """`?lang=` switches and is remembered in the session; otherwise the session's
    choice, otherwise what the browser prefers."""
    session = request.scope.get("session")
    asked = request.query_params.get("lang")
    if asked in DIRECTION:
        if session is not None:
            session["lang"] = asked
        return asked
    if session and session.get("lang") in DIRECTION:
        return str(session["lang"])
    preferred = request.headers.get("accept-language", "").split(",")[0].strip().lower()
    return "ar" if preferred.startswith("ar") else DEFAULT
