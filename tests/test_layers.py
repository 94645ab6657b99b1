"""The layers point inwards: the import contracts in `.importlinter` hold.

Entrypoints (cli; api, web and demo beside each other) over the services, storage,
and the pure core (domain, ledger, matching), which does no database, web or terminal
I/O. A new import against a contract fails here; the contracts and their known,
issue-named exceptions are in `.importlinter`, the reasons in CONTRIBUTING.md.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# import-linter's command, installed beside this Python with the test tools.
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint(config: Path) -> tuple[bool, str]:
    run = subprocess.run([str(LINT_IMPORTS), "--config", str(config), "--no-cache"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    return run.returncode == 0, run.stdout + run.stderr


def test_the_import_contracts_hold() -> None:
    passed, report = lint(ROOT / ".importlinter")
    assert passed, report
    assert "3 kept, 0 broken" in report  # every contract was checked, none skipped


def test_a_new_import_against_the_layers_is_caught(tmp_path: Path) -> None:
    # The checker sees the real package: an import that exists today (the services
    # use storage) breaks a contract that forbids it.
    config = tmp_path / "contracts.ini"
    config.write_text("[importlinter]\nroot_package = corridor\n\n"
                      "[importlinter:contract:upside-down]\nname = storage above services\n"
                      "type = layers\nlayers =\n    corridor.storage\n    corridor.services\n")
    passed, report = lint(config)
    assert not passed
    assert "corridor.services" in report and "corridor.storage" in report
