"""Set up and run Corridor with nothing but Python 3.11.

    python3 dev.py demo    # the illustrative operation on embedded SQLite, in the browser
    python3 dev.py test    # the whole test suite

Creates `.venv` on first use and reinstalls only when pyproject.toml changes.
Anything after the command is passed on (`python3 dev.py test -k sync`).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")


def ensure_installed(extras: str) -> None:
    if not (BIN / "python").exists():
        print("Creating .venv ...", flush=True)
        venv.create(VENV, with_pip=True)
    spec = f".[{extras}]" if extras else "."
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + spec.encode()).hexdigest()
    stamp = VENV / f".installed-{extras or 'base'}"
    if stamp.exists() and stamp.read_text() == wanted:
        return
    print(f"Installing Corridor ({spec}) into .venv ...", flush=True)
    subprocess.run([str(BIN / "python"), "-m", "pip", "install", "--quiet", "--upgrade", "pip"],
                   check=True)
    subprocess.run([str(BIN / "python"), "-m", "pip", "install", "--quiet", "-e", spec],
                   check=True, cwd=ROOT)
    stamp.write_text(wanted)


def main(argv: list[str]) -> int:
    if sys.version_info < (3, 11):  # noqa: UP036 - this file must run on any python3
        sys.exit("Corridor needs Python 3.11 or newer")
    command, rest = (argv[0], argv[1:]) if argv else ("", [])
    try:
        if command == "demo":
            ensure_installed("")
            return subprocess.call([str(BIN / "corridor"), "demo", *rest], cwd=ROOT)
        if command == "test":
            ensure_installed("test")
            return subprocess.call([str(BIN / "python"), "-m", "pytest", *rest], cwd=ROOT)
    except subprocess.CalledProcessError as exc:
        print(f"error: setting up .venv failed ({exc.cmd[-1]} exited {exc.returncode})",
              file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    print(__doc__.strip(), file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
