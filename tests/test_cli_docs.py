"""Every command and option of `corridor` is documented, and the docs name no option
that does not exist.

The commands and options are read from the Typer app itself, so a new command or
option fails here until README.md or a page in docs/ shows it. An option counts as
documented where a line that mentions its command also names it (`corridor trace NAME
--born 2001 ...`), except `--database`, which every command opening a database takes
and the README explains once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main

from corridor.cli import app

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHARED = {"--database"}  # documented once, in the README's prose
OPTION = re.compile(r"--[a-z][a-z0-9-]*")


def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    """(name as typed, click command) for every leaf command: `init`, `user add`, ...,
    and every group that runs on its own with options of its own (`demo`)."""
    if hasattr(command, "list_commands"):  # a group (Typer ships its own click)
        if path and _options(command):
            yield " ".join(path), command
        context = command.make_context("corridor", [], resilient_parsing=True)
        for name in command.list_commands(context):
            yield from _commands(command.get_command(context, name), (*path, name))
    else:
        yield " ".join(path), command


def _options(command: Any) -> list[tuple[str, ...]]:
    """Each option's long names; a flag pair counts as one option (`--serve/--no-serve`)."""
    return [tuple(o for o in (*p.opts, *p.secondary_opts) if o.startswith("--"))
            for p in command.params if p.param_type_name == "option" and not p.hidden]


COMMANDS = dict(_commands(typer.main.get_command(app)))
TEXT = "\n".join(path.read_text(encoding="utf-8") for path in DOCS)


def mentions(name: str) -> list[str]:
    """What follows `corridor NAME` on each docs line that mentions it, up to the end of
    the code span or a shell comment: the usage it shows."""
    pattern = re.compile(r"corridor\s+" + r"\s+".join(name.split()) + r"(?![\w-])([^`#\n]*)")
    usages = [m.group(1) for m in pattern.finditer(TEXT)]
    # A group's own usage, not its subcommands' (`corridor demo`, not `corridor demo advance`).
    return [u for u in usages if f"{name} {(u.split() or [''])[0]}" not in COMMANDS]


def test_the_app_has_the_commands_the_docs_are_checked_for() -> None:
    # Guards the introspection itself: an empty walk would make every test below pass.
    assert {"init", "serve", "trace", "duplicates", "user add", "user token"} <= set(COMMANDS)
    assert ("--born",) in _options(COMMANDS["trace"])
    assert ("--serve", "--no-serve") in _options(COMMANDS["demo"])


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_is_documented(name: str) -> None:
    assert mentions(name), f"`corridor {name}` appears nowhere in README.md or docs/*.md"


@pytest.mark.parametrize(("name", "names"), [
    (name, names) for name, command in sorted(COMMANDS.items())
    for names in _options(command)], ids=lambda v: v if isinstance(v, str) else "/".join(v))
def test_every_option_is_documented_with_its_command(name: str, names: tuple[str, ...]) -> None:
    shown = {o for usage in mentions(name) for o in OPTION.findall(usage)}
    if SHARED & set(names):
        assert any(re.search(re.escape(o) + r"(?![\w-])", TEXT) for o in names), names
    else:
        assert shown & set(names), (
            f"`corridor {name}` {'/'.join(names)} is not shown on any docs line that "
            f"mentions `corridor {name}`")


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_the_docs_show_no_option_a_command_does_not_have(name: str) -> None:
    real = {o for names in _options(COMMANDS[name]) for o in names} | {"--help"}
    shown = {o for usage in mentions(name) for o in OPTION.findall(usage)}
    assert shown <= real, f"docs show `corridor {name}` with {sorted(shown - real)}"
