"""English and Arabic: every string the web UI shows comes from locales/*.json.

A missing Arabic string falls back to English, and a missing key shows itself, so
a gap is visible on the page instead of breaking it; tests keep both files complete.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from starlette.requests import Request

LOCALES = Path(__file__).parent / "locales"
DIRECTION = {"en": "ltr", "ar": "rtl"}
DEFAULT = "en"


@cache
def catalogue(lang: str) -> dict[str, str]:
    return json.loads((LOCALES / f"{lang}.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class Translator:
    lang: str

    @property
    def dir(self) -> str:
        return DIRECTION[self.lang]

    def __call__(self, key: str, **values: Any) -> str:
        text = catalogue(self.lang).get(key) or catalogue(DEFAULT).get(key, key)
        return text.format(**values) if values else text


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
