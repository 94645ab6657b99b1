"""An illustrative demo operation: the evacuation of east Aleppo, 15–22 December 2016.

NOBODY IN IT IS REAL. Every person is generated: names are synthesised by combining
common Arabic given names and family names (in Arabic script or in one of several
Latin transliterations), and ages, needs and households are drawn at random. The
operation itself is modelled on public reporting of December 2016 (OCHA, WHO, ICRC,
Reuters; see the field notes); figures are approximate and scaled to `people`.

The same seed always gives the same events, byte for byte: ids are uuid5 of the seed
and the event's position, and all randomness comes from one `random.Random(seed)`.
The generator keeps its own model of who is where, so every event it yields is one
the fold accepts without a conflict; the planted problems (a headcount that does
not add up, a person never checked in) are alerts, not conflicts.

    story.py       what happens on each day: start here
    scenario.py    the places, parties, routes and days (data), and the posts recording them
    population.py  households and people, their synthesised names, registration
    convoys.py     the convoy simulation: boarding, headcounts, removals, arrivals
    tracing.py     the tracing desk's planted cases: registered twice, families asking
    midway.py      the moment `corridor demo` opens at, convoys on the road

Loaded up to a moment (`load(until=...)`), the rest of the story is withheld and told
later, as it happened (`services.rehearsal`).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from itertools import chain, islice
from typing import Any

from corridor.demo.midway import opening
from corridor.demo.scenario import MILITIA, MIN_PEOPLE, START, SYRIA
from corridor.demo.story import Evacuation
from corridor.demo.tracing import asking, twice
from corridor.services import rehearsal
from corridor.services.ledger import MAX_BATCH, Ledger

__all__ = ["MILITIA", "MIN_PEOPLE", "SYRIA", "Evacuation", "asking", "generate", "load",
           "opening", "twice"]

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://corridor.example/demo/east-aleppo-2016")


def _clock(t: int, tz: timezone) -> str:
    return (START + timedelta(seconds=t)).astimezone(tz).isoformat()


def generate(seed: int = 2016, people: int = 35_000) -> Iterator[dict[str, Any]]:
    """Yield events as the push API takes them: {"id": uuid-str, "type": str, "payload":
    dict, "device_id": str, "author": str, "recorded_at": ISO-8601 with +00:00 or
    +02:00 offset}, in device-clock order."""
    if people < MIN_PEOPLE:
        raise ValueError(f"the demo needs at least {MIN_PEOPLE} people")
    story = Evacuation(random.Random(seed), people)
    story.run()
    story.op.events.sort(key=lambda event: event[:2])
    for counter, (t, _, kind, payload, post) in enumerate(story.op.events):
        yield {"id": str(uuid.uuid5(NAMESPACE, f"{seed}:{counter}")), "type": kind,
               "payload": payload, "device_id": post.device_id, "author": post.author,
               "recorded_at": _clock(t, post.tz)}


def load(ledger: Ledger, seed: int = 2016, people: int = 35_000,
         progress: Callable[[int], None] | None = None, until: datetime | None = None) -> int:
    """Push generate() into the ledger in batches of 1000 as the demo coordinator, each
    event received at its own device time, then write the projections; return the
    number of events accepted. With `until`, only the events recorded by then: the
    rest are withheld, and the demo stands at `until` (`services.rehearsal`).
    `progress` gets each batch's size. A rejected event is a bug in this generator:
    RuntimeError."""
    stream = generate(seed, people)
    later: list[dict[str, Any]] = []  # the first event after `until`, once reached

    def told(events: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for event in events:
            if until is not None and datetime.fromisoformat(event["recorded_at"]) > until:
                later.append(event)
                return
            yield event

    events = told(stream)
    accepted = 0
    while batch := list(islice(events, MAX_BATCH)):
        result = ledger.push(batch, rehearsal.PRINCIPAL, as_recorded=True)
        for receipt in result.receipts:
            if receipt.status == "rejected":
                raise RuntimeError(f"demo event {receipt.id} was rejected: {receipt.reason}")
            accepted += receipt.status == "accepted"
        if progress:
            progress(len(batch))
    if until is not None:
        rehearsal.withhold(ledger.engine, chain(later, stream), until)
    ledger.ensure_projected()
    return accepted
