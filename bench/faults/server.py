"""A real `corridor serve` on 127.0.0.1, as its own process: started, killed with
SIGKILL mid-push, restarted, stopped; and the `corridor` commands run beside it."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

HOST = "127.0.0.1"


def _command() -> str:
    """The `corridor` beside this interpreter (a virtualenv's), else the one on PATH."""
    beside = Path(sys.executable).with_name("corridor")
    return str(beside) if beside.exists() else shutil.which("corridor") or "corridor"


CORRIDOR = _command()
# A fixed session key: otherwise a server on PostgreSQL writes .corridor-secret into the
# working directory.
ENV = os.environ | {"CORRIDOR_SECRET": "fault-suite"}


class ServerFailed(RuntimeError):
    pass


def corridor(*args: str) -> str:
    """Run a `corridor` command; its output, or ServerFailed with its error line."""
    done = subprocess.run([CORRIDOR, *args], env=ENV, capture_output=True, text=True,
                          timeout=300)
    if done.returncode != 0:
        raise ServerFailed(f"corridor {args[0]}: {done.stderr.strip()}")
    return done.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class Server:
    def __init__(self, database: str, log: Path) -> None:
        self.database, self.log = database, log
        self.port = free_port()  # kept across restarts: the devices know one address
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, timeout: float = 60) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [CORRIDOR, "serve", "--database", self.database, "--host", HOST,
                 "--port", str(self.port)], env=ENV, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while True:
            try:
                httpx.get(self.url + "/api/sync/pull", timeout=2)  # any answer: it is up
                return
            except httpx.TransportError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.kill()
                    tail = self.log.read_text(errors="replace").strip().splitlines()[-3:]
                    raise ServerFailed("corridor serve did not start: " + " | ".join(tail)) \
                        from None
                time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, whatever the server was doing."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
        self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
        self.kill()
