"""Set up and run Corridor with nothing but Python 3.11.

    python3 dev.py demo    # the illustrative operation on embedded SQLite, in the browser
    python3 dev.py test    # the whole test suite
    python3 dev.py lint    # ruff and mypy, as CI runs them

Creates `.venv` on first use and reinstalls only when pyproject.toml changes. The demo
gets the base install; test and lint get every extra and dependency group as well.
Anything after the command is passed on (`python3 dev.py test -k sync`, or to ruff:
`python3 dev.py lint --fix`).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
LINTED = ("src", "tests", "bench", "dev.py")


def ensure_installed(everything: bool) -> None:
    import tomllib  # here, so that Python 3.10 still gets main's message

    if not (BIN / "python").exists():
        print("Creating .venv ...", flush=True)
        venv.create(VENV, with_pip=True)
    source = (ROOT / "pyproject.toml").read_bytes()
    pyproject = tomllib.loads(source.decode())
    # Every extra and group, read here so that a new one needs no edit of this file.
    extras = ",".join(pyproject["project"].get("optional-dependencies", {}))
    groups = pyproject.get("dependency-groups", {}) if everything else {}
    spec = f".[{extras}]" if everything and extras else "."
    wanted = hashlib.sha256(source + f"{spec} {' '.join(groups)}".encode()).hexdigest()
    stamp = VENV / f".installed-{'dev' if everything else 'base'}"
    if stamp.exists() and stamp.read_text() == wanted:
        return
    print(f"Installing Corridor ({spec}{''.join(f' +{g}' for g in groups)}) into .venv ...",
          flush=True)
    pip = [str(BIN / "python"), "-m", "pip"]
    subprocess.run([*pip, "install", "--quiet", "--upgrade", "pip"], check=True)
    if "--group" in subprocess.run([*pip, "install", "--help"], check=True,
                                   capture_output=True, text=True).stdout:
        chosen = [word for name in groups for word in ("--group", name)]
    else:  # pip before 25.1, where the upgrade could not reach a newer one
        chosen = [requirement for name in groups for requirement in requirements(groups, name)]
    subprocess.run([*pip, "install", "--quiet", "-e", spec, *chosen], check=True, cwd=ROOT)
    stamp.write_text(wanted)


def requirements(groups: dict[str, list[Any]], name: str) -> list[str]:
    """A dependency group's requirements, with the groups it includes (PEP 735)."""
    return [requirement for entry in groups[name] for requirement in (
        requirements(groups, entry["include-group"]) if isinstance(entry, dict) else [entry])]


def lint(ruff_arguments: list[str]) -> int:
    """ruff, then mypy whatever ruff found: one run shows both."""
    ruff = subprocess.call([str(BIN / "ruff"), "check", *LINTED, *ruff_arguments], cwd=ROOT)
    mypy = subprocess.call([str(BIN / "mypy")], cwd=ROOT)
    return ruff or mypy


def main(argv: list[str]) -> int:
    if sys.version_info < (3, 11):  # noqa: UP036 - this file must run on any python3
        sys.exit("Corridor needs Python 3.11 or newer")
    command, rest = (argv[0], argv[1:]) if argv else ("", [])
    try:
        if command == "demo":
            ensure_installed(everything=False)
            return subprocess.call([str(BIN / "corridor"), "demo", *rest], cwd=ROOT)
        if command == "test":
            ensure_installed(everything=True)
            return subprocess.call([str(BIN / "python"), "-m", "pytest", *rest], cwd=ROOT)
        if command == "lint":
            ensure_installed(everything=True)
            return lint(rest)
    except subprocess.CalledProcessError as exc:
        print(f"error: setting up .venv failed ({' '.join(exc.cmd[3:])} exited "
              f"{exc.returncode})", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    print(__doc__.strip(), file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
