"""The convoy board on a slow link: bytes raw and on the wire, and the time to build
each page, on the demo operation (docs/control-room.md, "On a slow link").

    .venv/bin/python -m bench.board [--people 35000 | --database corridor-demo.db] [--repeat 5]

Loads the demo (seed 2016) into a temporary SQLite database unless `--database` names
one already loaded, signs a coordinator in and asks each page with and without
`Accept-Encoding: gzip` in-process (TestClient: no network, so the time is the
server's). Prints, per page, the raw bytes, the bytes gzip sends, the seconds those
take at 400 kbit/s, and the median build time. Run it with PYTHONPATH pointing at
another checkout's src/ to measure that version the same way (pages it lacks answer
404 and are shown so).
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient

from corridor.server import create_app
from corridor.services.access import add_user
from corridor.storage.database import connect

PASSWORD = "bench quiet lantern"
LINK_BITS = 400_000  # the slow link: 400 kbit/s
PAGES = ("/convoys", "/convoys?page=2", "/convoys?state=arrived", "/convoys/{first}",
         "/api/convoys", "/api/convoys?page=1")


def load(people: int, into: Path) -> None:
    subprocess.run([sys.executable, "-m", "corridor.cli", "demo", "--database", str(into),
                    "--people", str(people), "--no-serve"], check=True,
                   stdout=subprocess.DEVNULL)


def measure(database: Path, repeat: int) -> list[tuple[str, int, int, int, float]]:
    engine = connect(str(database))
    add_user(engine, "bench-board", "coordinator", PASSWORD)
    client = TestClient(create_app(engine, secret="bench"))
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
    assert token is not None
    client.post("/login", data={"username": "bench-board", "password": PASSWORD,
                                "csrf": token.group(1)})
    first = client.get("/api/convoys", params={"per_page": 1}).json()[0]["convoy_id"]
    rows = []
    for template in PAGES:
        path = template.format(first=first)
        client.get(path)  # the state folded and the templates compiled first
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            raw = client.get(path, headers={"Accept-Encoding": "identity"})
            times.append(time.perf_counter() - start)
        wire = client.get(path, headers={"Accept-Encoding": "gzip"})
        sent = int(wire.headers.get("content-length", len(raw.content)))
        rows.append((path, raw.status_code, len(raw.content), sent, statistics.median(times)))
    engine.dispose()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=35_000)
    parser.add_argument("--database", type=Path, help="a database the demo is loaded into")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        database = args.database
        if database is None:
            database = Path(scratch) / "demo.db"
            load(args.people, database)
        rows = measure(database, args.repeat)
    print(f"{'page':<28} {'status':>6} {'raw B':>9} {'wire B':>8} {'at 400 kbit/s':>14} "
          f"{'build':>8}")
    for path, status, raw, sent, built in rows:
        print(f"{path:<28} {status:>6} {raw:>9,} {sent:>8,} {sent * 8 / LINK_BITS:>12.2f} s "
              f"{built * 1000:>6.0f} ms")


if __name__ == "__main__":
    main()
