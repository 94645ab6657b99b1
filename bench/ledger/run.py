"""Running the stages for each backend, in order, each in its own subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console

from bench.ledger import stream
from bench.ledger.proc import load_average
from bench.ledger.stages import REPO, _env
from bench.ledger.targets import Target, fresh

console = Console(stderr=True)


@dataclass(frozen=True, slots=True)
class Settings:
    backends: list[str]
    events: int
    batch: int
    postgres: str
    stream: str
    people: int
    seed: int
    profile: Path | None  # where profiles go; None: no profiling (timings stay clean)


def write_stream(settings: Settings, directory: Path) -> tuple[Path, dict[str, Any]]:
    """Generate the pushed stream once, so every stage and backend gets the same events."""
    name, items = stream.events(settings.events, settings.stream, settings.seed)
    path = directory / "events.json"
    path.write_bytes(orjson.dumps(items))
    return path, {"stream": name, "events": len(items),
                  "types": dict(Counter(item["type"] for item in items).most_common())}


def run_backend(backend: str, settings: Settings, events_file: Path) -> dict[str, dict[str, Any]]:
    """Push, raw insert and rebuild share one database (the raw rows are the pushed
    ones); the in-process push and the demo load get fresh ones of their own."""
    results: dict[str, dict[str, Any]] = {}
    common = {"events_file": str(events_file), "batch": settings.batch}
    with fresh(backend, settings.postgres, "push") as target:
        console.log(f"{backend}: pushing {settings.events:,} events through the API")
        results["push"] = _stage("push", backend, settings, target, common)
        if "error" not in results["push"]:  # without pushed rows there is nothing to compare
            console.log(f"{backend}: raw insert of the same rows")
            results["raw_insert"] = _stage("raw_insert", backend, settings, target, common)
            console.log(f"{backend}: rebuild")
            results["rebuild"] = _stage("rebuild", backend, settings, target, {})
    with fresh(backend, settings.postgres, "inproc") as target:
        console.log(f"{backend}: pushing the same batches in-process (no HTTP)")
        results["ledger_push"] = _stage("ledger_push", backend, settings, target, common)
    if stream.demo_available():
        with fresh(backend, settings.postgres, "demo") as target:
            console.log(f"{backend}: demo load of {settings.people:,} people")
            results["demo_load"] = _stage("demo_load", backend, settings, target, {
                "people": settings.people, "seed": settings.seed})
    else:
        console.log(f"{backend}: corridor.demo does not exist yet: demo load skipped")
    return results


def _stage(name: str, backend: str, settings: Settings, target: Target,
           params: dict[str, Any]) -> dict[str, Any]:
    """Run one stage in a fresh interpreter and return what it reported, with the
    machine's load average before and after (other work skews wall times)."""
    with tempfile.TemporaryDirectory(prefix="corridor-bench-stage-") as scratch:
        result = Path(scratch) / "result.json"
        params = params | {"target": target.as_dict(), "scratch": scratch}
        command = [sys.executable]
        if settings.profile is not None:
            settings.profile.mkdir(parents=True, exist_ok=True)
            if name == "push":  # the server is sampled with py-spy; the client is not of interest
                params["profile"] = str(settings.profile / f"{backend}-push-server.txt")
            else:
                command += ["-m", "cProfile", "-o",
                            str(settings.profile / f"{backend}-{name}.pstats")]
        command += ["-m", "bench.ledger.stages", name, json.dumps(params), str(result)]
        load_before = load_average()
        done = subprocess.run(command, cwd=REPO, env=_env(), stderr=subprocess.PIPE, text=True)
        if done.stderr:
            console.print(done.stderr, markup=False, highlight=False)
        if done.returncode != 0:  # keep going: the other stages' figures still count
            console.log(f"[red]{backend}: {name} failed[/]")
            return {"error": done.stderr.strip().splitlines()[-1:]}
        figures: dict[str, Any] = json.loads(result.read_text())
        return figures | {"load_before": load_before, "load_after": load_average()}
