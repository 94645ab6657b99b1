"""The `corridor` command line.

Every command prints one clear line and exits non-zero when something is wrong;
long work shows a progress bar.
"""

from __future__ import annotations

import functools
import getpass
import os
import secrets
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, TypeVar

import click
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from corridor import config
from corridor.domain.vocabulary import Role
from corridor.services.access import (
    AccessError,
    add_user,
    deactivate,
    issue_token,
    list_tokens,
    revoke_tokens,
    set_password,
    set_post,
    set_role,
)
from corridor.services.files import private_file
from corridor.services.ledger import Ledger, Principal, Refused, verify
from corridor.storage.database import DatabaseError, connect, initialise, is_initialised
from corridor.storage.schema import events, users

app = typer.Typer(help="Corridor: the shared, verifiable record of an evacuation.",
                  no_args_is_help=True, pretty_exceptions_enable=False,
                  callback=config.tune_gc)
user_app = typer.Typer(help="Accounts and device tokens.", no_args_is_help=True)
app.add_typer(user_app, name="user")
console = Console()
err = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])

Database = Annotated[str, typer.Option("--database", "-d", envvar="CORRIDOR_DATABASE",
                                       help="SQLite file path or PostgreSQL URL.")]
# username: (role, post). Field accounts are stationed: what they read follows the post.
DEMO_USERS = {"coordinator": (Role.COORDINATOR, None),
              "registrar": (Role.REGISTRAR, "amiriyah"),
              "monitor": (Role.CHECKPOINT_MONITOR, "salah-al-din"),
              "reception": (Role.RECEPTION, "atareb"),
              "tracing": (Role.TRACING_OFFICER, None), "partner": (Role.PARTNER, None)}


class Failure(Exception):
    """A problem to tell the user in one line."""


def one_line_errors(command: F) -> F:
    """Turn every failure into one line on stderr and exit status 1: no stack traces."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (click.exceptions.Abort, typer.Abort):  # a prompt closed unanswered
            message = "cancelled: nothing was changed"
        except (Failure, DatabaseError, RuntimeError, PermissionError, ValueError,
                FileNotFoundError, IsADirectoryError) as exc:
            message = str(exc)
        except (AccessError, Refused) as exc:
            message = exc.reason
        except OperationalError as exc:
            message = f"cannot use the database: {str(exc.orig).strip().splitlines()[0]}"
        except SQLAlchemyError as exc:
            message = f"database error: {str(exc).splitlines()[0]}"
        except KeyboardInterrupt:
            message = "interrupted; nothing half-written was kept"
        # Escaped: a message quoting `corridor[batch]` is text, not Rich markup.
        err.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
        raise typer.Exit(1)

    return run  # type: ignore[return-value]


def open_database(url: str, create: bool = False) -> Engine:
    if not create and "://" not in url and not Path(url).exists():
        raise Failure(f"no database at {url}: run `corridor init --database {url}`")
    engine = connect(url)
    if create:
        initialise(engine)
    elif not is_initialised(engine):
        raise Failure(f"{url} is not a Corridor database yet: run `corridor init`")
    return engine


def cli_principal() -> Principal:
    """Local commands act with a coordinator's rights and sign as the OS user."""
    name = "cli-" + "".join(c for c in getpass.getuser().lower() if c.isalnum())[:40]
    return Principal(name, Role.COORDINATOR, "cli")


@contextmanager
def progress_bar(label: str, total: int | None) -> Iterator[Callable[[int], None]]:
    columns = [TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task(label, total=total)
        yield lambda n: progress.advance(task, n)


def event_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(events)).scalar_one())


@app.command()
@one_line_errors
def init(database: Database = config.DEFAULT_DATABASE) -> None:
    """Create the database (or bring its schema up to date)."""
    epoch = initialise(connect(database))
    console.print(f"Corridor database ready at {database} (epoch {epoch})")


@app.command()
@one_line_errors
def serve(database: Database = config.DEFAULT_DATABASE,
          host: str = typer.Option("127.0.0.1", help="Address to listen on."),
          port: int = typer.Option(8000, help="Port to listen on.")) -> None:
    """Serve the API and the web UI."""
    run_server(open_database(database), database, host, port)


def run_server(engine: Engine, database: str, host: str, port: int) -> None:
    import uvicorn

    from corridor.server import create_app

    data_dir = Path(database).resolve().parent if "://" not in database else Path.cwd()
    application = create_app(engine, config.session_secret(data_dir))
    console.print(f"Corridor on http://{host}:{port}  (API docs: http://{host}:{port}/docs; "
                  f"the field app for phones: http://{host}:{port}/field)")
    uvicorn.run(application, host=host, port=port, log_level="warning")


demo_app = typer.Typer(help="The illustrative east-Aleppo operation (generated people).",
                       invoke_without_command=True)
app.add_typer(demo_app, name="demo")


def demo_time(text: str) -> datetime | None:
    """A moment of the demo (UTC unless it names an offset), or None for `end`."""
    if text.strip().lower() == "end":
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise Failure(f"--to/--at: {text!r} is neither a time (2016-12-21T08:00) nor `end`") \
            from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@demo_app.callback()
@one_line_errors
def demo(context: typer.Context, database: Database = "corridor-demo.db",
         seed: int = typer.Option(2016, help="Same seed, same operation."),
         people: int = typer.Option(35_000, min=1_000, max=200_000, help="People to generate."),
         at: str | None = typer.Option(
             None, "--at", help="Open at this time (UTC unless it names an offset) or `end` "
                                "for the whole week; default: mid-operation on 20 Dec."),
         serve_after: bool = typer.Option(True, "--serve/--no-serve", help="Serve it after."),
         host: str = "127.0.0.1", port: int = 8000) -> None:
    """Load the illustrative east-Aleppo operation (generated people) and serve it; it
    opens mid-operation and moves forward with `corridor demo advance`."""
    if context.invoked_subcommand is not None:
        return
    from corridor import demo as demo_operation

    engine = open_database(database, create=True)
    if event_count(engine) == 0:
        started = time.perf_counter()
        until = demo_operation.opening(demo_operation.generate(seed, people)) \
            if at is None else demo_time(at)
        with progress_bar("Loading the illustrative operation", None) as advance:
            loaded = demo_operation.load(Ledger(engine), seed=seed, people=people,
                                         progress=advance, until=until)
        console.print(f"Loaded {loaded:,} events for {people:,} generated people in "
                      f"{time.perf_counter() - started:.1f} s into {database}")
    else:
        console.print(f"{database} already holds an operation; serving it as it is")
    print_standing(engine)
    console.print("[bold]Illustrative operation: every person in it is generated.[/bold]")
    console.print("Demo accounts (new passwords each start):")
    for username, (role, post) in DEMO_USERS.items():
        password = secrets.token_urlsafe(9)
        with engine.connect() as conn:
            exists = conn.execute(select(users.c.username)
                                  .where(users.c.username == username)).first()
        if exists:
            set_password(engine, username, password, by=cli_principal().username)
            set_post(engine, username, post, by=cli_principal().username)
        else:
            add_user(engine, username, role, password, post)
        console.print(f"  {username:<12} {role:<19} {password}" + (f"  at {post}" if post else ""))
    if serve_after:
        run_server(engine, database, host, port)


@demo_app.command("advance")
@one_line_errors
def demo_advance(to: str = typer.Option(..., "--to", help="A later time (UTC unless it names "
                                                        "an offset), or `end`."),
                 database: Database = "corridor-demo.db") -> None:
    """Move the illustrative operation forward: its withheld events up to that time."""
    from corridor.services import rehearsal

    engine = open_database(database)
    moved = rehearsal.advance(Ledger(engine), cli_principal(), demo_time(to))
    console.print(f"Told {moved.pushed:,} more events")
    print_standing(engine)


def print_standing(engine: Engine) -> None:
    from corridor.services import rehearsal

    standing = rehearsal.standing(engine)
    if standing is not None:
        console.print(f"The demo stands at {standing.stands_at:%Y-%m-%d %H:%M} UTC; "
                      f"{standing.withheld:,} events still to come")


@app.command("import")
@one_line_errors
def import_(file: Path = typer.Argument(..., help="CSV or XLSX pre-registration list."),
            database: Database = config.DEFAULT_DATABASE) -> None:
    """Register the households of a pre-registration list, all or nothing."""
    from corridor.services.importing import ImportFailed, import_households

    engine = open_database(database)
    try:
        with progress_bar(f"Reading {file.name}", None) as advance:
            report = import_households(Ledger(engine), cli_principal(), file, advance)
    except ImportFailed as exc:
        raise Failure(f"{file}: {exc}") from None
    if report.errors:
        for message in report.messages():
            err.print(message, highlight=False, soft_wrap=True)
        raise Failure(f"{file}: {len(report.errors)} problem(s); nothing was imported")
    console.print(f"Imported {report.households:,} households ({report.persons:,} people) "
                  f"from {file}")


@app.command()
@one_line_errors
def export(what: str = typer.Argument(..., help="persons, counts, vehicles, convoys, alerts, "
                                                 "incidents or events"),
           out: Path | None = typer.Option(None, "--out", "-o", help="File (default: stdout)"),
           database: Database = config.DEFAULT_DATABASE) -> None:
    """Write a CSV export."""
    from corridor.services.exporting import export_csv

    engine = open_database(database)
    Ledger(engine).ensure_projected()
    if out is None:
        rows = export_csv(engine, what, sys.stdout, cli_principal())
    else:
        with private_file(out, encoding="utf-8", newline="") as handle:
            rows = export_csv(engine, what, handle, cli_principal())
        console.print(f"Wrote {rows:,} rows to {out}")


@app.command()
@one_line_errors
def rebuild(database: Database = config.DEFAULT_DATABASE) -> None:
    """Rebuild every projection from the ledger."""
    engine = open_database(database)
    started = time.perf_counter()
    with progress_bar("Rebuilding", event_count(engine)) as advance:
        count = Ledger(engine).rebuild(advance)
    seconds = time.perf_counter() - started
    console.print(f"Rebuilt the projections from {count:,} events in {seconds:.1f} s")


@app.command("verify")
@one_line_errors
def verify_(database: Database = config.DEFAULT_DATABASE) -> None:
    """Check the ledger's and the audit log's hash chains; name the first broken link."""
    from corridor.services.audit import verify_audit

    engine = open_database(database)
    result = verify(engine)
    if result.broken is not None or result.reason:
        where = (f"seq {result.broken.seq} (event {result.broken.id}, {result.broken.type})"
                 if result.broken else "the ledger head")
        raise Failure(f"chain broken at {where}: {result.reason}")
    audit = verify_audit(engine)
    if not audit.intact:
        raise Failure(f"audit log broken at row {audit.broken}: {audit.reason}")
    console.print(f"Ledger intact: {result.checked:,} events, every hash checks; "
                  f"audit log intact: {audit.checked:,} reads recorded")


@app.command()
@one_line_errors
def backup(file: Path, database: Database = config.DEFAULT_DATABASE) -> None:
    """Write the ledger and the accounts to a backup file (JSON lines, hashes included;
    readable by its owner only)."""
    from corridor.services import backup as backups

    engine = open_database(database)
    with (private_file(file, "wb") as handle,
          progress_bar("Backing up", event_count(engine)) as step):
        count = backups.backup(engine, handle, cli_principal(), step)
    console.print(f"Backed up {count:,} events to {file}")


@app.command()
@one_line_errors
def restore(file: Path, database: Database = config.DEFAULT_DATABASE) -> None:
    """Restore a backup into a new, empty database (it gets a new epoch)."""
    from corridor.services import backup as backups

    engine = open_database(database, create=True)
    try:
        with file.open("rb") as handle, progress_bar("Restoring", None) as step:
            count = backups.restore(engine, handle, step)
    except backups.RestoreFailed as exc:
        raise Failure(f"{file}: {exc}") from None
    console.print(f"Restored {count:,} events and the accounts into {database}; devices "
                  "keep their tokens and will re-send what they hold")


@app.command()
@one_line_errors
def trace(name: str = typer.Argument(..., help="Full or partial name, in any script."),
          born: int | None = typer.Option(None, help="Year of birth, if known."),
          tolerance: int = typer.Option(2, min=0, max=15, help="Years either side of --born."),
          sex: str | None = typer.Option(None, help="female or male."),
          father: str | None = typer.Option(None, help="Father's name."),
          limit: int = typer.Option(10, min=1, max=50),
          reason: str = typer.Option("command-line search", help="Why: goes to the audit log."),
          database: Database = config.DEFAULT_DATABASE) -> None:
    """Search for a person across spellings and scripts (audited)."""
    from rich.table import Table

    from corridor.matching.records import Query
    from corridor.services.tracing import Tracing

    engine = open_database(database)
    query = Query(name, sex, born, tolerance, None, father)
    found = Tracing(engine, Ledger(engine)).search(cli_principal(), query, reason, limit)
    if not found:
        console.print(f"Nobody matches {name!r}")
        return
    table = Table("score", "name", "father", "family", "born", "sex", "status", "where",
                  "agreed", "disagreed")
    for f in found:
        p = f.person
        table.add_row(f"{f.match.score:.2f}", p["given_name"], p["father_name"] or "",
                      p["family_name"] or "", str(p["birth_year"] or ""), p["sex"],
                      p["status"], p["location_id"] or p["vehicle_id"] or "",
                      ", ".join(f.match.agreed), ", ".join(f.match.disagreed))
    console.print(table)


@app.command()
@one_line_errors
def duplicates(batch: bool = typer.Option(False, "--batch", help="Score the whole operation "
                                          "in one pass instead of showing the review queue."),
               splink: bool = typer.Option(False, "--splink", help="With --batch: Splink's "
                                           "unsupervised model instead of Corridor's scorer."),
               backend: str = typer.Option("duckdb", help="Splink backend: duckdb or spark."),
               out: Path | None = typer.Option(None, "--out", "-o", help="CSV of pairs."),
               database: Database = config.DEFAULT_DATABASE) -> None:
    """Records that may be one person registered twice."""
    import csv

    from corridor.services.tracing import Tracing

    engine = open_database(database)
    ledger = Ledger(engine)
    if batch:
        from corridor.matching.extras import require

        # Before the imports that need them, and before the whole operation is read.
        if splink:
            require("splink", *(("pyspark",) if backend == "spark" else ()))
            from corridor.matching.batch import find_duplicates, local_spark_session

            spark = local_spark_session(os.cpu_count() or 1) if backend == "spark" else None
            find = functools.partial(find_duplicates, backend=backend, spark=spark)
            method = f"Splink ({backend})"
        else:
            require("numpy")
            from corridor.matching.dedupe import find_pairs

            find = functools.partial(find_pairs, workers=os.cpu_count() or 1)
            method = "Corridor's scorer"
        records = Tracing(engine, ledger).everyone(cli_principal(),
                                                   f"duplicates --batch ({method})")
        started = time.perf_counter()
        pairs = find(records)
        rows = [(p.a, p.b, f"{p.probability:.3f}", " ".join(p.agreed), " ".join(p.disagreed))
                for p in pairs]
        header = ("person_id", "other_id", "probability", "agreed", "disagreed")
        console.print(f"{method} scored {len(records):,} people in "
                      f"{time.perf_counter() - started:.1f} s: {len(rows):,} likely pairs")
    else:
        queue = Tracing(engine, ledger).duplicate_queue(cli_principal(), limit=500)
        rows = [(q["person"]["person_id"], q["other"]["person_id"], f"{q['score']:.3f}",
                 " ".join(q["agreed"]), " ".join(q["disagreed"])) for q in queue]
        header = ("person_id", "other_id", "score", "agreed", "disagreed")
        console.print(f"{len(rows):,} pairs waiting for review")
    if out is not None:
        with private_file(out, encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle, quoting=csv.QUOTE_ALL)
            writer.writerow(header)
            writer.writerows(rows)
        console.print(f"Wrote them to {out}")


@user_app.command("add")
@one_line_errors
def user_add(username: str, role: Role = typer.Option(..., help="The account's role."),
             post: str | None = typer.Option(None, help="Location a field account is "
                                              "stationed at: it reads only that post's task."),
             database: Database = config.DEFAULT_DATABASE) -> None:
    """Add an account; the password is asked for (or read from CORRIDOR_PASSWORD)."""
    password = os.environ.get("CORRIDOR_PASSWORD") or typer.prompt(
        "Password", hide_input=True, confirmation_prompt=True)
    add_user(open_database(database), username, role, password, post)
    console.print(f"Added {username} ({role})" + (f" at {post}" if post else ""))


@user_app.command("post")
@one_line_errors
def user_post(username: str, location: str = typer.Argument(..., help="Location id."),
              database: Database = config.DEFAULT_DATABASE) -> None:
    """Station a field account at a location: it reads that post's task from now on."""
    set_post(open_database(database), username, location, by=cli_principal().username)
    console.print(f"{username} is stationed at {location}")


@user_app.command("token")
@one_line_errors
def user_token(username: str, device: str = typer.Option(..., help="The device it is for."),
               days: float | None = typer.Option(
                   None, min=0.01, help="Days until it expires (default CORRIDOR_TOKEN_DAYS: 30)."),
               database: Database = config.DEFAULT_DATABASE) -> None:
    """Issue an API token for one device; it is shown once."""
    lifetime = timedelta(days=days) if days is not None else None
    console.print(issue_token(open_database(database), username, device, lifetime))


@user_app.command("tokens")
@one_line_errors
def user_tokens(username: str, database: Database = config.DEFAULT_DATABASE) -> None:
    """List an account's tokens that are not revoked: never the tokens themselves."""
    found = list_tokens(open_database(database), username)
    if not found:
        console.print(f"{username} has no tokens")
        return
    table = Table("id", "label", "created (UTC)", "last used", "expires")
    for token in found:
        expires = f"{token.expires_at:%Y-%m-%d %H:%M}" + (" (expired)" if token.expired else "")
        table.add_row(token.id, escape(token.label), f"{token.created_at:%Y-%m-%d %H:%M}",
                      f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never",
                      expires)
    console.print(table)


@user_app.command("revoke")
@one_line_errors
def user_revoke(username: str,
                token_id: str | None = typer.Argument(None, help="The id `user tokens` lists."),
                every: bool = typer.Option(False, "--all", help="Revoke all of them."),
                database: Database = config.DEFAULT_DATABASE) -> None:
    """Revoke one of an account's tokens, or all of them with --all."""
    if (token_id is None) == (not every):
        raise Failure("name one token id or give --all")
    count = revoke_tokens(open_database(database), username, token_id,
                          by=cli_principal().username)
    console.print(f"Revoked {count} token{'s' if count != 1 else ''} of {username}")


@user_app.command("password")
@one_line_errors
def user_password(username: str, database: Database = config.DEFAULT_DATABASE) -> None:
    """Set a new password (asked for, or read from CORRIDOR_PASSWORD); the account's
    sessions end and its tokens are revoked."""
    engine = open_database(database)
    password = os.environ.get("CORRIDOR_PASSWORD") or typer.prompt(
        "New password", hide_input=True, confirmation_prompt=True)
    set_password(engine, username, password, by=cli_principal().username)
    console.print(f"Password changed for {username}; its sessions and tokens have ended")


@user_app.command("role")
@one_line_errors
def user_role(username: str, role: Role = typer.Argument(..., help="The new role."),
              database: Database = config.DEFAULT_DATABASE) -> None:
    """Change an account's role; its sessions end and its tokens are revoked."""
    set_role(open_database(database), username, role, by=cli_principal().username)
    console.print(f"{username} is now {role}; its sessions and tokens have ended")


@user_app.command("deactivate")
@one_line_errors
def user_deactivate(username: str, database: Database = config.DEFAULT_DATABASE) -> None:
    """Deactivate an account; its sessions end and its tokens are revoked."""
    deactivate(open_database(database), username, by=cli_principal().username)
    console.print(f"{username} is deactivated; its sessions and tokens have ended")


if __name__ == "__main__":  # `python -m corridor.cli`, where the script is not on the PATH
    app()
