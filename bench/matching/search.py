"""Search: NameIndex against brute-force rapidfuzz and PostgreSQL pg_trgm."""

from __future__ import annotations

import gc
import time
import uuid
from collections.abc import Sequence
from typing import Any

from bench.matching.evaluation import LabelledQuery
from bench.matching.measure import Searched, rss_mib, search_figures
from corridor.matching.index import NameIndex
from corridor.matching.names import normalise
from corridor.matching.records import PersonRecord

LIMIT = 10
PG_TIMEOUT_MS = 5000  # a pg_trgm search slower than this counts as finding nothing


def full_name(record: PersonRecord) -> str:
    """What the baselines search: the record's names in one normalised string."""
    return normalise(" ".join(n for n in (record.given_name, record.father_name,
                                          record.family_name) if n))


def query_text(labelled: LabelledQuery) -> str:
    query = labelled.query
    return normalise(" ".join(n for n in (query.name, query.father_name) if n))


def ours(records: Sequence[PersonRecord], asked: Sequence[LabelledQuery]
         ) -> tuple[dict[str, Any], NameIndex]:
    before = rss_mib()
    start = time.perf_counter()
    index = NameIndex()
    for record in records:
        index.add(record)
    build = time.perf_counter() - start
    memory = rss_mib() - before
    gc.freeze()  # as the server does once warm: collections no longer walk the index
    answers = []
    for labelled in asked:
        start = time.perf_counter()
        found = tuple(m.person_id for m in index.search(labelled.query, LIMIT))
        answers.append(Searched(found, time.perf_counter() - start))
    return search_figures(asked, answers) | {"build_s": build, "memory_mib": memory}, index


def rapidfuzz(records: Sequence[PersonRecord], asked: Sequence[LabelledQuery]
              ) -> dict[str, Any]:
    """process.extract over every record's normalised full name, token_set_ratio: a
    query naming fewer people than the record ("given family" against "given father
    family") scores as a subset, as it should."""
    from rapidfuzz import fuzz, process

    before = rss_mib()
    start = time.perf_counter()
    names = [full_name(r) for r in records]
    ids = [r.person_id for r in records]
    build = time.perf_counter() - start
    memory = rss_mib() - before
    answers = []
    for labelled in asked:
        start = time.perf_counter()
        found = process.extract(query_text(labelled), names, scorer=fuzz.token_set_ratio,
                                processor=None, limit=LIMIT)
        answers.append(Searched(tuple(ids[i] for _, _, i in found),
                                time.perf_counter() - start))
    return search_figures(asked, answers) | {"build_s": build, "memory_mib": memory}


def pg_trgm(records: Sequence[PersonRecord], asked: Sequence[LabelledQuery], url: str
            ) -> dict[str, Any]:
    """A table of normalised full names in a fresh schema, a GIN trigram index, and
    `name % query ORDER BY similarity DESC` (default similarity threshold 0.3)."""
    import psycopg

    schema = f"bench_matching_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"),
                         autocommit=True) as db:
        db.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        db.execute(f"CREATE SCHEMA {schema}")
        try:
            db.execute(f"SET search_path = {schema}, public")
            figures = _pg_run(db, records, asked)
            figures["server"] = db.execute("SHOW server_version").fetchone()[0]
        finally:
            db.execute(f"DROP SCHEMA {schema} CASCADE")
    return figures


def _pg_run(db: Any, records: Sequence[PersonRecord], asked: Sequence[LabelledQuery]
            ) -> dict[str, Any]:
    from psycopg.errors import QueryCanceled

    db.execute("CREATE TABLE person (id text PRIMARY KEY, name text NOT NULL)")
    start = time.perf_counter()
    with db.cursor().copy("COPY person (id, name) FROM STDIN") as copy:
        for record in records:
            copy.write_row((record.person_id, full_name(record)))
    load = time.perf_counter() - start
    start = time.perf_counter()
    db.execute("CREATE INDEX person_name_trgm ON person USING gin (name gin_trgm_ops)")
    db.execute("ANALYZE person")
    build = time.perf_counter() - start
    size = db.execute("SELECT pg_total_relation_size('person')").fetchone()[0]
    db.execute(f"SET statement_timeout = {PG_TIMEOUT_MS}")
    answers, timeouts = [], 0
    for labelled in asked:
        start = time.perf_counter()
        try:
            rows = db.execute(
                "SELECT id FROM person WHERE name %% %(q)s "
                "ORDER BY similarity(name, %(q)s) DESC, id LIMIT %(n)s",
                {"q": query_text(labelled), "n": LIMIT}).fetchall()
        except QueryCanceled:  # the statement timeout
            rows, timeouts = [], timeouts + 1
        answers.append(Searched(tuple(r[0] for r in rows), time.perf_counter() - start))
    return search_figures(asked, answers) | {
        "build_s": build, "load_s": load, "memory_mib": size / 2**20, "timeouts": timeouts}
