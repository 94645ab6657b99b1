"""The API server under test, run as its own process: `python -m bench.ledger.server`.

It serves `create_app` with uvicorn exactly as a deployment would (one process, the
default event loop and HTTP implementation), so the benchmark's pushes pay for the
real HTTP parsing, JSON decoding, authentication and response encoding. On shutdown
it writes its own peak RSS (VmHWM) to `--report`: the server's memory, not the client's.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import uvicorn

from bench.ledger.proc import current_mib, peak_mib
from bench.ledger.targets import Target
from corridor.server import create_app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", required=True, help="Target as JSON")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--report", type=Path, required=True)
    args = parser.parse_args()
    engine = Target.from_dict(json.loads(args.target)).engine()
    app = create_app(engine, secret="bench-secret")
    config = uvicorn.Config(app, host="127.0.0.1", port=args.port, log_level="warning",
                            access_log=False)
    started = time.perf_counter()
    try:
        uvicorn.Server(config).run()
    except KeyboardInterrupt:
        pass  # uvicorn re-raises the SIGINT it was stopped with, after a clean shutdown
    engine.dispose()
    args.report.write_text(json.dumps({"peak_rss_mib": peak_mib(), "end_rss_mib": current_mib(),
                                       "uptime_s": time.perf_counter() - started}))


if __name__ == "__main__":
    main()
