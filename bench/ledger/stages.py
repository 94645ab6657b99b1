"""The measured stages, each run in a subprocess of its own:
`python -m bench.ledger.stages NAME PARAMS_JSON RESULT_PATH`.

A fresh process per stage means its peak RSS (VmHWM, see `proc.py`) belongs to
that stage alone, and no stage warms a cache for the next. Each stage writes its
figures as JSON to RESULT_PATH. Besides wall time, stages report the CPU seconds
their process (for the push: the API server) spent, which other load on the
machine barely changes; PostgreSQL's own CPU is not in them.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
from sqlalchemy import Connection, Engine, MetaData, Table, inspect, select, text

from bench.ledger import stream
from bench.ledger.proc import cpu_seconds, current_mib, peak_mib, reset_peak
from bench.ledger.targets import Target
from corridor.services.access import add_user, issue_token
from corridor.services.ledger import Ledger, fact_of
from corridor.storage import ledger_store
from corridor.storage.schema import events as events_table

REPO = Path(__file__).resolve().parents[2]
USER, PASSWORD = "bench-coordinator", "bench-password-not-secret"
Params = dict[str, Any]


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


# --- 1. push through the API ----------------------------------------------------------


def push(params: Params) -> dict[str, Any]:
    """Push the stream in batches over real HTTP, wait until the server's projections
    have caught up, then push it all again: every receipt must be "accepted" the first
    time and "duplicate" the second."""
    target = Target.from_dict(params["target"])
    token = _coordinator_token(target)
    items = _events(params)
    # Serialised before the clock starts: the client's JSON encoding is not the server's cost.
    bodies = [orjson.dumps({"events": batch}) for batch in stream.batches(items, params["batch"])]
    with api_server(target, Path(params["scratch"]), params.get("profile")) as server, \
            httpx.Client(base_url=server.base, timeout=600, headers={
                "Authorization": f"Bearer {token}", "Content-Type": "application/json"}) as client:
        cpu_0, started = cpu_seconds(server.pid), time.perf_counter()
        push_s = _post_all(client, bodies, "accepted")
        catch_up_s = _wait_until_projected(target)
        projected_s = time.perf_counter() - started  # first push to projections written
        cpu_1 = cpu_seconds(server.pid)
        duplicate_s = _post_all(client, bodies, "duplicate")
        cpu_2 = cpu_seconds(server.pid)
    count = len(items)
    return {"events": count, "batches": len(bodies),
            "push_s": push_s, "push_eps": rate(count, push_s),
            "projected_s": projected_s, "projected_eps": rate(count, projected_s),
            "catch_up_after_last_push_s": catch_up_s, "push_server_cpu_s": cpu_1 - cpu_0,
            "duplicate_s": duplicate_s, "duplicate_eps": rate(count, duplicate_s),
            "duplicate_server_cpu_s": cpu_2 - cpu_1, **server.memory}


@dataclass
class Server:
    """A running API server: where to reach it, and its memory figures (MiB)."""

    base: str
    pid: int
    memory: dict[str, float] = field(default_factory=dict)


@contextmanager
def api_server(target: Target, scratch: Path, profile: str | None) -> Iterator[Server]:
    """The API server in its own process, up and idle; on exit it is stopped and its
    peak RSS during the work (not during start-up) is in `memory`."""
    report, port = scratch / "server.json", free_port()
    process = subprocess.Popen([sys.executable, "-m", "bench.ledger.server", "--target",
                                json.dumps(target.as_dict()), "--port", str(port),
                                "--report", str(report)], cwd=REPO, env=subprocess_env())
    server = Server(f"http://127.0.0.1:{port}", process.pid)
    spy = None
    try:
        _wait_until_up(process, server.base)
        server.memory = {"server_startup_peak_mib": peak_mib(process.pid),
                         "server_idle_rss_mib": current_mib(process.pid)}
        reset_peak(process.pid)  # from here on, VmHWM is the work's own peak
        spy = _attach_py_spy(process.pid, profile)
        yield server
    finally:
        process.send_signal(signal.SIGINT)  # uvicorn shuts down cleanly, then reports
        process.wait(timeout=120)
        if spy is not None:
            spy.wait(timeout=300)
    final = json.loads(report.read_text())
    server.memory |= {"server_peak_rss_mib": final["peak_rss_mib"],
                      "server_end_rss_mib": final["end_rss_mib"]}


def free_port() -> int:
    """A port nobody listens on right now (the server binds it a moment later)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _coordinator_token(target: Target) -> str:
    engine = target.engine()
    try:
        add_user(engine, USER, "coordinator", PASSWORD)
        return issue_token(engine, USER, "bench-client")
    finally:
        engine.dispose()


def subprocess_env() -> dict[str, str]:
    """The current environment, with the repository importable (for `bench`)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def _wait_until_up(server: subprocess.Popen[bytes], base: str, limit: float = 60) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the API server exited with {server.returncode}")
        try:
            httpx.get(base + "/openapi.json", timeout=5)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"the API server did not answer within {limit} s")


def _attach_py_spy(pid: int, output: str | None) -> subprocess.Popen[bytes] | None:
    """With --profile: sample the server with py-spy until it exits (all threads:
    the push handler runs in the threadpool, not the event loop's thread)."""
    if not output:
        return None
    return subprocess.Popen(["py-spy", "record", "--pid", str(pid), "--rate", "200",
                             "--format", "raw", "--output", output, "--nonblocking"],
                            stdout=subprocess.DEVNULL)


def _post_all(client: httpx.Client, bodies: list[bytes], expected: str) -> float:
    """Seconds to post every batch, one after the other, as a device syncing would."""
    started = time.perf_counter()
    for body in bodies:
        response = client.post("/api/sync/push", content=body)
        if response.status_code != 200:
            raise RuntimeError(f"push answered {response.status_code}: {response.text[:500]}")
        for receipt in orjson.loads(response.content)["receipts"]:
            if receipt["status"] != expected:
                raise RuntimeError(f"expected {expected}, got receipt {receipt}")
    return time.perf_counter() - started


def _wait_until_projected(target: Target, limit: float = 600) -> float:
    """Where push only appends and the server writes projections behind it (a
    background pass; `ledger_meta.projected_seq`), the seconds from the last receipt
    until the projections have caught up with the head; about 0 where push writes
    them itself."""
    engine = target.engine()
    started = time.perf_counter()
    try:
        while time.perf_counter() - started < limit:
            with engine.connect() as conn:
                head, projected = _positions(conn)
            if projected is None or projected >= head:
                return time.perf_counter() - started
            time.sleep(0.02)
    finally:
        engine.dispose()
    raise RuntimeError(f"projections did not catch up within {limit} s")


def _positions(conn: Connection) -> tuple[int, int | None]:
    """(head_seq, projected_seq), the latter None where the schema has no such column."""
    columns = {column["name"] for column in inspect(conn).get_columns("ledger_meta")}
    if "projected_seq" not in columns:
        return conn.execute(text("SELECT head_seq FROM ledger_meta")).scalar_one(), None
    row = conn.execute(text("SELECT head_seq, projected_seq FROM ledger_meta")).one()
    return int(row.head_seq), int(row.projected_seq)


def _events(params: Params) -> list[stream.Event]:
    """The run's stream, written once by the orchestrator so every stage pushes the same."""
    return orjson.loads(Path(params["events_file"]).read_bytes())  # type: ignore[no-any-return]


# --- 1b. push in-process: the ledger without HTTP -------------------------------------------


def ledger_push(params: Params) -> dict[str, Any]:
    """The same batches through Ledger.push directly, into a fresh database: the
    difference from the API push is what HTTP, FastAPI and authentication cost."""
    from corridor.domain.vocabulary import Role
    from corridor.services.ledger import Principal

    batches = stream.batches(_events(params), params["batch"])
    principal = Principal(USER, Role.COORDINATOR, "bench-client")
    engine = Target.from_dict(params["target"]).engine()
    try:
        ledger = Ledger(engine)
        cpu, started = cpu_seconds(), time.perf_counter()
        for batch in batches:
            receipts = ledger.push(batch, principal).receipts
            if any(receipt.status != "accepted" for receipt in receipts):
                raise RuntimeError(f"not accepted: {receipts}")
        seconds = time.perf_counter() - started
        if hasattr(ledger, "ensure_projected"):  # where push leaves projections for later
            ledger.ensure_projected()
        projected_s, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    finally:
        engine.dispose()
    count = sum(map(len, batches))
    return {"events": count, "push_s": seconds, "push_eps": rate(count, seconds),
            "projected_s": projected_s, "projected_eps": rate(count, projected_s), "cpu_s": cpu}


# --- 2. the baseline: raw inserts -----------------------------------------------------------


def raw_insert(params: Params) -> dict[str, Any]:
    """Insert exactly the rows the push stored into a copy of the events table (same
    columns, keys and unique constraint), in batches with one transaction each: the
    least any write path must pay to store these events on this database."""
    engine = Target.from_dict(params["target"]).engine()
    try:
        with engine.connect() as conn:
            rows = [dict(row) for row in conn.execute(
                select(events_table).order_by(events_table.c.seq)).mappings()]
        copy = events_table.to_metadata(MetaData(), name="events_raw")
        copy.drop(engine, checkfirst=True)
        copy.create(engine)
        cpu = cpu_seconds()
        seconds = _insert_batches(engine, copy, rows, params["batch"])
        cpu = cpu_seconds() - cpu
        copy.drop(engine)
    finally:
        engine.dispose()
    return {"events": len(rows), "raw_s": seconds, "raw_eps": rate(len(rows), seconds),
            "cpu_s": cpu}


def _insert_batches(engine: Engine, table: Table, rows: list[dict[str, Any]],
                    size: int) -> float:
    started = time.perf_counter()
    for start in range(0, len(rows), size):
        with engine.begin() as conn:
            conn.execute(table.insert(), rows[start:start + size])
    return time.perf_counter() - started


# --- 3. rebuild -----------------------------------------------------------------------------


def rebuild(params: Params) -> dict[str, Any]:
    """Ledger.rebuild over the whole pushed ledger, then (after peak RSS is taken) a
    breakdown of where its time goes: reading rows, parsing payloads, the fold."""
    engine = Target.from_dict(params["target"]).engine()
    try:
        start_rss = current_mib()  # the interpreter and imports, before any work
        reset_peak()
        cpu, started = cpu_seconds(), time.perf_counter()
        count = Ledger(engine).rebuild()
        seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
        peak = peak_mib()
        phases = _rebuild_phases(engine)
    finally:
        engine.dispose()
    return {"events": count, "rebuild_s": seconds, "rebuild_eps": rate(count, seconds),
            "cpu_s": cpu,
            "start_rss_mib": start_rss, "peak_rss_mib": peak,
            "phases_s": phases | {"write_projections": seconds - phases["fold"]}}


def _rebuild_phases(engine: Engine) -> dict[str, float]:
    """Cumulative seconds for: read rows; read + parse (fact_of); read + parse + fold."""
    from corridor.domain.state import OperationState

    def timed(step: Callable[[Any], object], finish: Callable[[], object] = lambda: None,
              ) -> float:
        with engine.connect() as conn:
            started = time.perf_counter()
            for row in _fold_rows(conn):
                step(row)
            finish()
            return time.perf_counter() - started

    state = OperationState()
    # The fold files each fact, then derives once (settle), as a rebuild does.
    return {"read": timed(lambda row: None), "parse": timed(fact_of),
            "fold": timed(lambda row: state.apply(fact_of(row)), state.settle)}


def _fold_rows(conn: Connection) -> Iterator[Any]:
    """The rows Ledger.rebuild folds, read the way it reads them: only the fold's
    columns where the ledger store offers that (fact_rows), whole events before."""
    reader = getattr(ledger_store, "fact_rows", ledger_store.read)
    return reader(conn)  # type: ignore[no-any-return]


# --- 4. demo load ---------------------------------------------------------------------------


def demo_load(params: Params) -> dict[str, Any]:
    """corridor.demo.load into a fresh database, timed from the call to its return."""
    from corridor.demo import load

    engine = Target.from_dict(params["target"]).engine()
    start_rss = current_mib()
    reset_peak()
    try:
        cpu, started = cpu_seconds(), time.perf_counter()
        count = load(Ledger(engine), seed=params["seed"], people=params["people"])
        seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
        with engine.connect() as conn:
            head, _ = ledger_store.head(conn)
    finally:
        engine.dispose()
    return {"people": params["people"], "returned": count, "events": head,
            "load_s": seconds, "cpu_s": cpu, "start_rss_mib": start_rss, "peak_rss_mib": peak_mib()}


STAGES: dict[str, Callable[[Params], dict[str, Any]]] = {
    "push": push, "ledger_push": ledger_push, "raw_insert": raw_insert, "rebuild": rebuild,
    "demo_load": demo_load}


def _as_deployed() -> None:
    """Set the process up as the CLI and the server do (garbage-collector tuning,
    where this version of Corridor has it), so a stage measures what `corridor
    rebuild` or `corridor demo` would."""
    from corridor import config

    tune = getattr(config, "tune_gc", None)
    if tune is not None:
        tune()


def main() -> None:
    name, params, result = sys.argv[1], json.loads(sys.argv[2]), Path(sys.argv[3])
    _as_deployed()
    result.write_text(json.dumps(STAGES[name](params), indent=2))


if __name__ == "__main__":
    main()
