"""A flood of wrong sign-ins against a real `corridor serve`: the server's memory, and
how long an ordinary read takes meanwhile (docs/accounts.md, "Measured").

    .venv/bin/python -m bench.signin [--people 35000 --concurrent 40 --waves 5 --spread]

Loads the demo operation into a temporary SQLite database, serves it, measures an
ordinary read (`GET /api/persons?limit=100` with a coordinator's token) at rest, then
sends `--waves` waves of `--concurrent` simultaneous wrong sign-ins (each for another
account name, so the per-account throttle does not stop them; all from one address,
as the review's did) while a reader repeats that read. Prints the server's resident
memory before and its peak during the flood (VmHWM, reset first), the read latencies
at rest and during the flood, and what the sign-ins were answered. Run it with
PYTHONPATH pointing at another checkout's src/ to measure that version the same way.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from bench.faults.server import CORRIDOR, ENV, Server, corridor

PASSWORD = "bench quiet lantern"


def memory_mib(pid: int, field: str) -> float:
    """VmRSS (now) or VmHWM (peak) of a process, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} for {pid}")


def settle(pid: int, quiet: float = 5.0, limit: float = 300.0) -> None:
    """Wait until the server's memory has not grown by 1 MiB for `quiet` seconds: its
    warm-up (the name index, the duplicate queue) done, so it is not counted as the
    flood's."""
    deadline, last, since = time.monotonic() + limit, memory_mib(pid, "VmRSS"), time.monotonic()
    while time.monotonic() - since < quiet and time.monotonic() < deadline:
        time.sleep(0.5)
        now = memory_mib(pid, "VmRSS")
        if now > last + 1:
            last, since = now, time.monotonic()


def timed_read(client: httpx.Client) -> float:
    start = time.perf_counter()
    client.get("/api/persons", params={"limit": 100}).raise_for_status()
    return time.perf_counter() - start


def wrong_sign_in(url: str, n: int, spread: bool) -> int:
    """One wrong sign-in; with `spread`, from an address of its own in 127.0.0.0/8 (all
    of it is this machine), so the per-address throttle does not stop it either."""
    address = f"127.0.{n // 250}.{n % 250 + 2}" if spread else "127.0.0.1"
    with httpx.Client(transport=httpx.HTTPTransport(local_address=address),
                      timeout=120) as client:
        answer = client.post(url + "/api/auth/token",
                             json={"username": f"guess-{n}", "password": "not the password"})
    return answer.status_code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=35_000)
    parser.add_argument("--concurrent", type=int, default=40)
    parser.add_argument("--waves", type=int, default=5)
    parser.add_argument("--spread", action="store_true",
                        help="Each sign-in from another address: only the hashing bound holds.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        database = str(Path(tmp) / "bench.db")
        corridor("demo", "--database", database, "--people", str(args.people), "--no-serve")
        subprocess.run([CORRIDOR, "user", "add", "bench", "--role", "coordinator",
                        "--database", database], env=ENV | {"CORRIDOR_PASSWORD": PASSWORD},
                       check=True, capture_output=True)
        token = corridor("user", "token", "bench", "--device", "bench",
                         "--database", database).strip()
        server = Server(database, Path(tmp) / "server.log")
        server.start()
        assert server.process is not None
        pid = server.process.pid
        try:
            reader = httpx.Client(base_url=server.url, timeout=120,
                                  headers={"Authorization": f"Bearer {token}"})
            for _ in range(3):
                timed_read(reader)  # warm: projections, caches
            settle(pid)
            rest = [timed_read(reader) for _ in range(10)]
            before = memory_mib(pid, "VmRSS")
            # Reset the peak (VmHWM) to now, so the start-up's warming is not counted.
            Path(f"/proc/{pid}/clear_refs").write_text("5")
            during: list[float] = []
            flooding = threading.Event()
            flooding.set()

            def read_meanwhile() -> None:
                while flooding.is_set():
                    during.append(timed_read(reader))

            answers: Counter[int] = Counter()
            watcher = threading.Thread(target=read_meanwhile)
            started = time.perf_counter()
            watcher.start()
            with ThreadPoolExecutor(args.concurrent) as pool:
                for wave in range(args.waves):
                    numbers = range(wave * args.concurrent, (wave + 1) * args.concurrent)
                    answers.update(pool.map(lambda n: wrong_sign_in(server.url, n, args.spread),
                                            numbers))
            flood_seconds = time.perf_counter() - started
            flooding.clear()
            watcher.join()
            peak = memory_mib(pid, "VmHWM")
        finally:
            server.stop()
    print(f"{args.waves} waves of {args.concurrent} concurrent wrong sign-ins "
          f"({args.people} people{', each from its own address' if args.spread else ''}), "
          f"{flood_seconds:.1f} s")
    print(f"  answers: {dict(sorted(answers.items()))}")
    print(f"  server memory: {before:.0f} MiB before, peak {peak:.0f} MiB")
    print(f"  read at rest: median {statistics.median(rest):.3f} s, max {max(rest):.3f} s")
    print(f"  read during the flood ({len(during)} reads): median "
          f"{statistics.median(during):.3f} s, max {max(during):.3f} s")


if __name__ == "__main__":
    main()
