"""The ASGI application: the API, the web UI and the field app over one running Corridor.

This is the one module that knows the entrypoints; none imports another. It
holds what lives as long as the server: the ledger's cached state, kept projected in
the background, and the name index and duplicate queue, warmed up at start.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.sessions import SessionMiddleware

from corridor import __version__, config
from corridor.api.app import BodyLimit
from corridor.api.app import install as install_api
from corridor.api.csrf import CookieWritesNeedProof
from corridor.field.routes import install as install_field
from corridor.headers import SecurityHeaders
from corridor.services import timeline
from corridor.services.app import Corridor
from corridor.services.ledger import Ledger
from corridor.services.tracing import Tracing
from corridor.web.routes import install as install_web

log = logging.getLogger("corridor")
PROJECT_EVERY = 1.0  # seconds between background projection passes
GZIP_FROM = 1024  # bytes: smaller answers are sent as they are
SNAPSHOT_EVERY = 10.0  # seconds between looks for a snapshot of the fold to make


async def keep_projected(ledger: Ledger) -> None:
    """While the server runs, write projections once pushes pause, so the first read
    after a device's large sync does not wait for them — without slowing a sync that
    is still arriving (a read in the meantime catches them up itself)."""
    while True:
        await asyncio.sleep(PROJECT_EVERY)
        if time.monotonic() - ledger.last_push < PROJECT_EVERY:
            continue
        try:
            await run_in_threadpool(ledger.ensure_projected)
        except Exception:  # a passing failure (database restarting): try again next time
            log.exception("background projection failed")


async def keep_snapshots_made(ledger: Ledger) -> None:
    """While the server runs, make the fold's snapshots the ledger has passed
    (`timeline.make_snapshot`), one at a time and only while pushes pause, so a jump
    to an earlier moment folds at most `timeline.EVERY` events."""
    while True:
        await asyncio.sleep(SNAPSHOT_EVERY)
        if time.monotonic() - ledger.last_push < SNAPSHOT_EVERY:
            continue
        try:
            while await run_in_threadpool(timeline.make_snapshot, ledger) is not None:
                pass
        except Exception:  # a passing failure: the next pass tries again
            log.exception("making a snapshot of the fold failed")


def warm_up(tracing: Tracing) -> None:
    """Fold the state and build the name index and duplicate queue once at start, so
    the first person to search or review does not wait for them."""
    try:
        tracing.ledger.ensure_projected()
        tracing.ledger.read(lambda state: (tracing.keeper.index(state),
                                           tracing.duplicates.pairs(state)))
    except Exception:
        log.exception("warming up failed; the first request will do it")
        return
    # What is built now lives as long as the server: keep it out of the collector's
    # scans (reference counting still frees it), which keeps search latency flat.
    gc.collect()
    gc.freeze()


def create_app(engine: Engine, secret: str, ledger: Ledger | None = None) -> FastAPI:
    config.tune_gc()  # however the app is served, it holds the state in memory
    corridor = Corridor.open(engine, ledger)
    timeline.keep_snapshots(corridor.ledger, secret)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        warm = asyncio.create_task(run_in_threadpool(warm_up, corridor.tracing))
        task = asyncio.create_task(keep_projected(corridor.ledger))
        snapshots = asyncio.create_task(keep_snapshots_made(corridor.ledger))
        yield
        snapshots.cancel()
        task.cancel()
        warm.cancel()

    app = FastAPI(title="Corridor", version=__version__, lifespan=lifespan,
                  description="The shared, verifiable record of a humanitarian evacuation.",
                  docs_url=None, redoc_url=None, openapi_url=None)  # api/docs.py serves them
    app.state.corridor = corridor
    install_api(app)
    install_web(app)
    install_field(app)
    # Outermost last: the CSRF check reads the session; the headers are on every answer,
    # the session's cookie and a refused body's included.
    app.add_middleware(CookieWritesNeedProof)
    # The cookie lasts as long as a session may; the server's `sessions` table decides.
    app.add_middleware(SessionMiddleware, secret_key=secret, same_site="strict",
                       max_age=int(config.session_lifetime().total_seconds()))
    app.add_middleware(BodyLimit)
    # Pages and API answers over a slow link: the board of a large operation is text that
    # compresses to a tenth (docs/control-room.md). Small answers are not worth it.
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_FROM)
    app.add_middleware(SecurityHeaders, secure_cookies=config.secure_cookies())
    return app
