"""The command line: one clear line and a non-zero exit on every failure."""

from __future__ import annotations

import stat
import subprocess
import sys

import pytest
from conftest import PASSWORD
from events_factory import Device, household, setup_events
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from typer.testing import CliRunner

from corridor.cli import app
from corridor.domain.vocabulary import Role
from corridor.server import create_app
from corridor.services.access import issue_token
from corridor.services.ledger import Ledger, Principal
from corridor.storage.schema import rejects

runner = CliRunner()


def corridor(*args: str, **env: str):
    return runner.invoke(app, list(args), env=env or None)


def fill(engine) -> None:
    device = Device()
    who = Principal("coordinator", Role.COORDINATOR, "phone-1")
    ledger = Ledger(engine)
    ledger.push(setup_events(device) + [household(device, "h1", 3)], who)
    ledger.ensure_projected()


def test_verify_names_the_edited_event_and_exits_non_zero(engine, database_url) -> None:
    fill(engine)
    ok = corridor("verify", "--database", database_url)
    assert ok.exit_code == 0 and "Ledger intact: 8 events" in ok.output
    with engine.begin() as conn:
        conn.execute(text("UPDATE events SET author = 'someone-else' WHERE seq = 5"))
    broken = corridor("verify", "--database", database_url)
    assert broken.exit_code == 1
    assert "chain broken at seq 5" in broken.output and "RouteDefined" in broken.output
    assert "Traceback" not in broken.output


def test_verify_notices_a_deleted_last_event(engine, database_url) -> None:
    fill(engine)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM events WHERE seq = 8"))
    result = corridor("verify", "--database", database_url)
    assert result.exit_code == 1 and "head says 8 events" in result.output


def test_rebuild_reports_and_keeps_the_counts(engine, database_url) -> None:
    fill(engine)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM persons"))  # a damaged projection
    result = corridor("rebuild", "--database", database_url)
    assert result.exit_code == 0 and "from 8 events" in result.output
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM persons")).scalar() == 3


def test_user_add_refuses_bad_input_in_one_line(engine, database_url) -> None:
    added = corridor("user", "add", "amal", "--role", "registrar", "--database", database_url,
                     CORRIDOR_PASSWORD="a long enough password")
    assert added.exit_code == 0, added.output
    again = corridor("user", "add", "amal", "--role", "registrar", "--database", database_url,
                     CORRIDOR_PASSWORD="a long enough password")
    assert again.exit_code == 1 and again.output.strip() == "error: user amal already exists"
    short = corridor("user", "add", "omar", "--role", "registrar", "--database", database_url,
                     CORRIDOR_PASSWORD="short")
    assert short.exit_code == 1 and "at least 10 characters" in short.output
    token = corridor("user", "token", "amal", "--device", "phone 7", "--database", database_url)
    assert token.exit_code == 0 and len(token.output.strip()) > 30


def test_backup_and_restore_into_a_new_database_with_a_new_epoch(engine, tmp_path) -> None:
    fill(engine)
    url = engine.url.render_as_string(hide_password=False)
    backup = tmp_path / "ledger.jsonl"
    assert corridor("backup", str(backup), "--database", url).exit_code == 0
    target = str(tmp_path / "restored.db")
    restored = corridor("restore", str(backup), "--database", target)
    assert restored.exit_code == 0, restored.output
    assert corridor("verify", "--database", target).exit_code == 0
    from corridor.storage.database import connect

    with connect(target).connect() as new, engine.connect() as old:
        assert new.execute(text("SELECT count(*) FROM persons")).scalar() == 3
        epochs = [c.execute(text("SELECT epoch FROM ledger_meta")).scalar() for c in (new, old)]
    assert epochs[0] != epochs[1]
    twice = corridor("restore", str(backup), "--database", target)
    assert twice.exit_code == 1 and "empty database" in twice.output


def test_after_a_restore_device_tokens_still_work_and_re_sent_events_are_duplicates(
        api, engine, empty_engine, tmp_path) -> None:
    coordinator, registrar = api.as_("coordinator"), api.as_("registrar")
    office, phone = Device("office-1"), Device("phone-2", author="registrar")
    setup, registered = setup_events(office), [household(phone, "h1", 2)]
    for client, batch in ((coordinator, setup), (registrar, registered)):
        client.post("/api/sync/push", json={"events": batch}).raise_for_status()
    spare = issue_token(engine, "registrar", "spare phone")  # never used: no last use
    backup = tmp_path / "ledger.jsonl"
    (tmp_path / "ledger.jsonl.partial").touch(mode=0o644)  # left by an interrupted backup
    url = engine.url.render_as_string(hide_password=False)
    assert corridor("backup", str(backup), "--database", url).exit_code == 0
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600  # it holds password hashes
    target = empty_engine.url.render_as_string(hide_password=False)
    restored = corridor("restore", str(backup), "--database", target)
    assert restored.exit_code == 0, restored.output

    served = create_app(empty_engine, secret="test-secret")
    again = TestClient(served, headers={"Authorization": registrar.headers["Authorization"]})
    # The registrar's phone re-sends all it holds: its own events and the coordinator's
    # it had pulled, which its role could not have recorded.
    held = setup + registered
    receipts = again.post("/api/sync/push", json={"events": held}).json()["receipts"]
    assert [(r["id"], r["status"], r["seq"]) for r in receipts] == [
        (e["id"], "duplicate", seq) for seq, e in enumerate(held, start=1)]
    with empty_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(rejects)).scalar_one() == 0
    signed_in = TestClient(served).post("/api/auth/token", json={
        "username": "registrar", "password": PASSWORD, "device": "phone-3"})
    assert signed_in.status_code == 201  # passwords came back too
    assert TestClient(served).get("/api/operation", headers={
        "Authorization": f"Bearer {spare}"}).status_code == 200


def test_a_tampered_backup_is_refused_and_writes_nothing(engine, tmp_path) -> None:
    fill(engine)
    url = engine.url.render_as_string(hide_password=False)
    backup = tmp_path / "ledger.jsonl"
    corridor("backup", str(backup), "--database", url)
    backup.write_text(backup.read_text().replace("محمد 1", "محمد 9"))
    target = str(tmp_path / "restored.db")
    result = corridor("restore", str(backup), "--database", target)
    assert result.exit_code == 1 and "chain breaks at seq 8" in result.output
    assert corridor("verify", "--database", target).output.startswith("Ledger intact: 0 events")


def test_missing_database_is_one_clear_line(tmp_path) -> None:
    missing = tmp_path / "nothing.db"
    result = corridor("verify", "--database", str(missing))
    assert result.exit_code == 1 and "no database at" in result.output
    assert not missing.exists()  # a typo in a path creates nothing
    missing.write_bytes(b"")
    empty = corridor("verify", "--database", str(missing))
    assert empty.output.strip().endswith("is not a Corridor database yet: run `corridor init`")
    unreachable = corridor("verify", "--database", "postgresql://nobody@127.0.0.1:1/none")
    assert unreachable.exit_code == 1 and "cannot use the database" in unreachable.output
    assert len(unreachable.output.strip().splitlines()) == 1


def _gathering_point(engine) -> None:
    device = Device()
    hospital = device.event("LocationAdded", location_id="hosp", kind="hospital",
                            name="Hospital", latitude=36.0, longitude=36.6)
    Ledger(engine).push(setup_events(device) + [hospital],
                        Principal("coordinator", Role.COORDINATOR, "p1"))


def test_import_reports_every_bad_line_and_writes_nothing(engine, database_url, tmp_path) -> None:
    _gathering_point(engine)
    bad = tmp_path / "list.csv"
    bad.write_text("household,gathering_point_id,given_name,birth_year\n"
                   "1,gp,Amal,1980\n1,gp,,1982\n2,nowhere,Omar,1990\n", encoding="utf-8")
    result = corridor("import", str(bad), "--database", database_url)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines[0].startswith(f"{bad}:3: given_name")
    assert lines[1].startswith(f"{bad}:4: gathering_point_id")
    assert lines[-1] == f"error: {bad}: 2 problem(s); nothing was imported"
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM persons")).scalar() == 0


def test_import_then_export_round_trips_arabic_names(engine, database_url, tmp_path) -> None:
    from pathlib import Path

    _gathering_point(engine)
    sample = Path(__file__).parent / "data" / "pre_registration_ar.csv"
    imported = corridor("import", str(sample), "--database", database_url)
    assert imported.exit_code == 0, imported.output
    out = tmp_path / "persons.csv"
    exported = corridor("export", "persons", "-o", str(out), "--database", database_url)
    assert exported.exit_code == 0, exported.output
    text_out = out.read_text(encoding="utf-8-sig")
    names = [line.split(";")[3] for line in
             sample.read_text(encoding="utf-8-sig").splitlines()[1:] if line]
    assert names and all(name in text_out for name in names)
    unknown = corridor("export", "secrets", "--database", database_url)
    assert unknown.exit_code == 1 and "persons" in unknown.output


def test_exports_are_private_and_never_follow_a_planted_file(engine, database_url,
                                                             tmp_path) -> None:
    fill(engine)
    out, secret = tmp_path / "persons.csv", tmp_path / "elsewhere.txt"
    secret.write_text("not yours")
    # Names an interrupted export could once have used, planted as links to another file.
    for planted in ("persons.csv.partial", ".persons.csv.partial"):
        (tmp_path / planted).symlink_to(secret)
    exported = corridor("export", "persons", "-o", str(out), "--database", database_url)
    assert exported.exit_code == 0, exported.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600 and not out.is_symlink()
    assert secret.read_text() == "not yours"
    assert "محمد" in out.read_text(encoding="utf-8-sig")
    out.chmod(0o644)  # an export over an existing, wider file is private again
    assert corridor("export", "persons", "-o", str(out), "--database", database_url
                    ).exit_code == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    failed = corridor("export", "secrets", "-o", str(tmp_path / "x.csv"), "--database",
                      database_url)
    assert failed.exit_code == 1
    left = {p.name for p in tmp_path.iterdir()} - {"persons.csv.partial", ".persons.csv.partial"}
    assert not any(name.endswith(".partial") for name in left)  # nothing half-written left
    assert not (tmp_path / "x.csv").exists()


def test_a_password_prompt_left_unanswered_changes_nothing(engine, database_url) -> None:
    result = runner.invoke(app, ["user", "add", "nadia", "--role", "registrar",
                                 "--database", database_url], input="\n")
    assert result.exit_code == 1
    assert result.output.strip().endswith("error: cancelled: nothing was changed")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM users")).scalar() == 0


def test_duplicates_batch_writes_the_pairs_with_their_reasons(engine, database_url,
                                                              tmp_path) -> None:
    _gathering_point(engine)
    registrations = tmp_path / "twice.csv"
    registrations.write_text(
        "household,gathering_point_id,given_name,father_name,family_name,sex,birth_year\n"
        "1,gp,Mohammed,Ahmad,al-Hassan,male,1985\n"
        "2,gp,محمد,أحمد,الحسن,male,1986\n"
        "3,gp,Fatima,Ali,Halabi,female,1990\n", encoding="utf-8")
    assert corridor("import", str(registrations), "--database", database_url).exit_code == 0
    out = tmp_path / "pairs.csv"
    result = corridor("duplicates", "--batch", "-o", str(out), "--database", database_url)
    assert result.exit_code == 0, result.output
    assert "1 likely pairs" in result.output
    header, pair = out.read_text(encoding="utf-8-sig").splitlines()
    assert header == '"person_id","other_id","probability","agreed","disagreed"'
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert "given_name father_name family_name" in pair


@pytest.mark.parametrize(("missing", "options", "extra"), [
    ("numpy", [], "batch"), ("splink", ["--splink"], "batch"),
    ("pyspark", ["--splink", "--backend", "spark"], "spark")])
def test_duplicates_batch_without_its_extra_names_the_extra_in_one_line(
        engine, database_url, monkeypatch, missing, options, extra) -> None:
    fill(engine)
    monkeypatch.setitem(sys.modules, missing, None)  # `import` fails as if not installed
    result = corridor("duplicates", "--batch", *options, "--database", database_url)
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"error: batch duplicate detection needs {missing}, which the base install leaves "
        f"out: pip install 'corridor[{extra}]'")


def test_python_dash_m_runs_the_command_line() -> None:
    """`python -m corridor.cli` is the command, not a silent import that exits 0."""
    ran = subprocess.run([sys.executable, "-m", "corridor.cli", "demo", "--help"],
                         capture_output=True, text=True, timeout=120, check=False)
    assert ran.returncode == 0
    assert "illustrative" in ran.stdout
