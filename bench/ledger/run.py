"""Running the stages for each backend, in order, each in its own subprocess."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console

from bench.ledger import stream
from bench.ledger.proc import load_average
from bench.ledger.stages import REPO, subprocess_env
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
    quiet_load: float | None = None  # wait before each stage until the load average is below
    repeat: int = 1  # rounds of the push-related stages; the median is reported


def write_stream(settings: Settings, directory: Path) -> tuple[Path, dict[str, Any]]:
    """Generate the pushed stream once, so every stage and backend gets the same events."""
    name, items = stream.events(settings.events, settings.stream, settings.seed)
    path = directory / "events.json"
    path.write_bytes(orjson.dumps(items))
    return path, {"stream": name, "events": len(items),
                  "types": dict(Counter(item["type"] for item in items).most_common())}


def run_backend(backend: str, settings: Settings, events_file: Path) -> dict[str, dict[str, Any]]:
    """Every stage for one backend. The push-related stages run `settings.repeat`
    times on fresh databases and report the median of each figure (wall times on a
    2-core machine vary by ±15 % from run to run); the demo load runs once."""
    rounds = [_push_round(backend, settings, events_file, n + 1)
              for n in range(settings.repeat)]
    results = {name: median_of_rounds([r.get(name, {"error": ["did not run"]}) for r in rounds])
               for name in ("push", "raw_insert", "rebuild", "ledger_push")}
    if stream.demo_available():
        with fresh(backend, settings.postgres, "demo") as target:
            console.log(f"{backend}: demo load of {settings.people:,} people")
            results["demo_load"] = _stage("demo_load", backend, settings, target, {
                "people": settings.people, "seed": settings.seed})
    else:
        console.log(f"{backend}: corridor.demo does not exist yet: demo load skipped")
    return results


def _push_round(backend: str, settings: Settings, events_file: Path,
                number: int) -> dict[str, dict[str, Any]]:
    """Push, raw insert and rebuild share one database (the raw rows are the pushed
    ones); the in-process push gets a fresh one of its own."""
    results: dict[str, dict[str, Any]] = {}
    common = {"events_file": str(events_file), "batch": settings.batch}
    label = f"{backend} (round {number} of {settings.repeat})"
    with fresh(backend, settings.postgres, "push") as target:
        console.log(f"{label}: pushing {settings.events:,} events through the API")
        results["push"] = _stage("push", backend, settings, target, common)
        if "error" not in results["push"]:  # without pushed rows there is nothing to compare
            console.log(f"{label}: raw insert of the same rows")
            results["raw_insert"] = _stage("raw_insert", backend, settings, target, common)
            console.log(f"{label}: rebuild")
            results["rebuild"] = _stage("rebuild", backend, settings, target, {})
    with fresh(backend, settings.postgres, "inproc") as target:
        console.log(f"{label}: pushing the same batches in-process (no HTTP)")
        results["ledger_push"] = _stage("ledger_push", backend, settings, target, common)
    return results


def median_of_rounds(samples: list[dict[str, Any]], keep: bool = True) -> dict[str, Any]:
    """Each measured figure's median over the rounds that succeeded; with `keep`, every
    round's own figures are kept under "rounds" (and the errors of those that failed)."""
    good = [sample for sample in samples if "error" not in sample]
    if not good:
        return samples[0] if samples else {"error": ["did not run"]}
    merged: dict[str, Any] = dict(good[0])
    for key, value in good[0].items():
        if isinstance(value, float):  # measured figures; counts (int) are the same each round
            merged[key] = statistics.median(sample[key] for sample in good)
        elif isinstance(value, dict) and key != "rounds":  # e.g. rebuild phases, key by key
            merged[key] = median_of_rounds([sample[key] for sample in good], keep=False)
    return merged | {"rounds": samples} if keep and len(samples) > 1 else merged


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
        waited = _wait_for_quiet(settings.quiet_load)
        load_before = load_average()
        done = subprocess.run(command, cwd=REPO, env=subprocess_env(), stderr=subprocess.PIPE,
                              text=True)
        if done.stderr:
            console.print(done.stderr, markup=False, highlight=False)
        if done.returncode != 0:  # keep going: the other stages' figures still count
            console.log(f"[red]{backend}: {name} failed[/]")
            return {"error": done.stderr.strip().splitlines()[-1:]}
        figures: dict[str, Any] = json.loads(result.read_text())
        return figures | {"load_before": load_before, "load_after": load_average(),
                          "waited_for_quiet_s": waited}


def _wait_for_quiet(threshold: float | None, limit: float = 900) -> float:
    """On a shared machine, wait (at most `limit` seconds) for other work to calm down
    before a stage: the 1-minute load average must fall below `threshold`."""
    if threshold is None:
        return 0.0
    started = time.monotonic()
    if load_average() >= threshold:
        console.log(f"waiting for the load average ({load_average():.2f}) to fall below "
                    f"{threshold}")
    while load_average() >= threshold and time.monotonic() - started < limit:
        time.sleep(5)
    return time.monotonic() - started
