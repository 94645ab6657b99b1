"""Serve the field app: its shell, manifest, service worker and static files.

The app is plain ES modules under `static/`, no build step. The service worker is
made here at start-up from the files that are there: an explicit list of every
asset to precache and a VERSION, the hash of their bytes, so any change to any file
is a new version the phones take on their next load.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.types import Scope

from corridor.headers import HEADERS

STATIC = Path(__file__).parent / "static"
PREFIX = "/field"
# The field pages may compile WebAssembly (the QR scanner's fallback); nothing else
# is loosened: no inline script, nothing from elsewhere.
POLICY = HEADERS["Content-Security-Policy"].replace(
    "script-src 'self'", "script-src 'self' 'wasm-unsafe-eval'")
# A versioned asset (`?v=VERSION`, as the service worker fetches them) never changes;
# a plain fetch revalidates, so a page loaded without the worker is never stale.
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
MANIFEST = {
    "name": "Corridor field", "short_name": "Corridor", "start_url": PREFIX,
    "scope": PREFIX, "display": "standalone", "background_color": "#ffffff",
    "theme_color": "#1d3557",
    "icons": [{"src": f"{PREFIX}/static/icons/icon-192.png", "sizes": "192x192",
               "type": "image/png"},
              {"src": f"{PREFIX}/static/icons/icon-512.png", "sizes": "512x512",
               "type": "image/png"}],
}


@dataclass(frozen=True)
class Shell:
    """The assets as they are at start-up: where, the precache list and its version."""

    root: Path
    assets: tuple[str, ...]
    version: str

    @classmethod
    def scan(cls, root: Path) -> Shell:
        files = sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))
        digest = hashlib.sha256()
        for path in files:
            name = path.relative_to(root).as_posix()
            digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
        urls = tuple(f"{PREFIX}/static/{p.relative_to(root).as_posix()}" for p in files)
        return cls(root, urls, digest.hexdigest()[:16])

    def worker(self) -> str:
        """sw.js: the version and the list, then the fixed logic of `worker.js`."""
        head = (f"const VERSION = {json.dumps(self.version)};\n"
                f"const SHELL = {json.dumps(PREFIX)};\n"
                f"const ASSETS = {json.dumps(list(self.assets), indent=0)};\n")
        return head + WORKER_BODY.read_text(encoding="utf-8")


WORKER_BODY = Path(__file__).parent / "worker.js"


class Assets(StaticFiles):
    """The app's files, cached for ever when asked for by version, else revalidated."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        versioned = b"v=" in scope.get("query_string", b"")
        response.headers["Cache-Control"] = IMMUTABLE if versioned else REVALIDATE
        response.headers["Content-Security-Policy"] = POLICY
        return response


def _headers(cache: str = REVALIDATE) -> dict[str, str]:
    return {"Cache-Control": cache, "Content-Security-Policy": POLICY}


def install(app: FastAPI) -> None:
    shell = Shell.scan(STATIC)
    router = APIRouter(include_in_schema=False)

    @router.get(PREFIX)
    def page() -> Response:
        """The shell: no data in it, the same for everyone (data comes from the API)."""
        return FileResponse(shell.root / "index.html", media_type="text/html",
                            headers=_headers())

    @router.get(f"{PREFIX}/manifest.webmanifest")
    def manifest() -> Response:
        return Response(json.dumps(MANIFEST), media_type="application/manifest+json",
                        headers=_headers())

    @router.get(f"{PREFIX}/sw.js")
    def worker() -> Response:
        # Scope /field (not /field/) so the shell's own URL is controlled offline.
        return Response(shell.worker(), media_type="text/javascript",
                        headers={**_headers(), "Service-Worker-Allowed": PREFIX})

    app.include_router(router)
    app.mount(f"{PREFIX}/static", Assets(directory=shell.root), name="field-static")
