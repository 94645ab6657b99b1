"""The audit log of reads: hash-chained and verified, safe under concurrent writers,
and able to say who looked at a person."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime
from io import BytesIO

import pytest
from alembic import command
from operation_setup import ok, register, set_up
from sqlalchemy import Engine, func, select, text
from typer.testing import CliRunner

from corridor.cli import app as cli
from corridor.domain.vocabulary import Role
from corridor.services import backup
from corridor.services.audit import record_read, verify_audit
from corridor.services.ledger import Principal
from corridor.storage.database import alembic_config
from corridor.storage.schema import audit_log, audit_subjects

runner = CliRunner()
READER = Principal("tracing-desk", Role.TRACING_OFFICER, "web")


def five_reads(engine: Engine) -> None:
    for n in range(1, 6):
        record_read(engine, READER, "view person", f"p{n}", why=f"mother asking ({n})",
                    persons=[f"p{n}", "p0"])


def verify(database_url: str):
    return runner.invoke(cli, ["verify", "--database", database_url])


def test_the_chain_verifies_and_holds_who_what_why_and_whom(engine, database_url) -> None:
    five_reads(engine)
    result = verify(database_url)
    assert result.exit_code == 0, result.output
    assert "audit log intact: 5 reads recorded" in result.output
    with engine.connect() as conn:
        rows = conn.execute(select(audit_log).order_by(audit_log.c.id)).all()
        shown = conn.execute(select(audit_subjects.c.audit_id)
                             .where(audit_subjects.c.person_id == "p0")).scalars().all()
    assert [r.id for r in rows] == [1, 2, 3, 4, 5]
    assert rows[2].username == "tracing-desk" and rows[2].why == "mother asking (3)"
    assert sorted(shown) == [1, 2, 3, 4, 5]
    assert len({r.chain for r in rows}) == 5


TAMPERING = {
    "edit the first": ("UPDATE audit_log SET username = 'someone' WHERE id = 1", 1),
    "edit the middle": ("UPDATE audit_log SET why = 'nothing' WHERE id = 3", 3),
    "edit the last": ("UPDATE audit_log SET action = 'nothing' WHERE id = 5", 5),
    "hide whom the middle showed": ("DELETE FROM audit_subjects WHERE audit_id = 3", 3),
    "delete the first": ("DELETE FROM audit_subjects WHERE audit_id = 1; "
                         "DELETE FROM audit_log WHERE id = 1", 1),
    "delete the middle": ("DELETE FROM audit_subjects WHERE audit_id = 3; "
                          "DELETE FROM audit_log WHERE id = 3", 3),
    "delete the last": ("DELETE FROM audit_subjects WHERE audit_id = 5; "
                        "DELETE FROM audit_log WHERE id = 5", 5),
}


@pytest.mark.parametrize("tampering", list(TAMPERING))
def test_verify_names_the_row_edited_or_deleted(engine, database_url, tampering) -> None:
    five_reads(engine)
    statements, row = TAMPERING[tampering]
    with engine.begin() as conn:
        for statement in statements.split("; "):
            conn.execute(text(statement))
    result = verify(database_url)
    assert result.exit_code == 1
    assert f"audit log broken at row {row}:" in result.output, result.output
    assert "Traceback" not in result.output
    assert verify_audit(engine).broken == row


def test_concurrent_audit_writers_keep_one_chain(engine) -> None:
    threads, each = 8, 15
    start = threading.Barrier(threads)
    failures: list[str] = []

    def write(worker: int) -> None:
        who = Principal(f"reader-{worker}", Role.COORDINATOR, "web")
        start.wait()
        for n in range(each):
            try:
                record_read(engine, who, "list persons", f"{worker}/{n}",
                            persons=[f"w{worker}-{n}", "everyone-sees-me"])
            except Exception as exc:  # noqa: BLE001 — any failure is what the test counts
                failures.append(repr(exc))

    workers = [threading.Thread(target=write, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)
    assert failures == []
    checked = verify_audit(engine)
    assert checked.intact and checked.checked == threads * each
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(audit_subjects).where(
            audit_subjects.c.person_id == "everyone-sees-me")).scalar_one() == threads * each


def test_a_persons_record_says_who_looked_at_it(api, engine) -> None:
    coordinator, registrar = api.as_("coordinator"), api.as_("registrar")
    tracing = api.as_("tracing_officer")
    set_up(coordinator)
    seen, unseen = register(registrar, 2)
    ok(tracing.get(f"/api/persons/{seen}"))
    ok(coordinator.get("/api/persons", params={"limit": 1}))  # the first in order only
    backup.backup(engine, BytesIO(), Principal("cli-ops", Role.COORDINATOR, "cli"))

    reads = ok(coordinator.get(f"/api/persons/{seen}/reads"))
    assert [(r["username"], r["action"], r["everyone"]) for r in reads["reads"]] == [
        ("cli-ops", "backup", True), ("coordinator", "list persons", False),
        ("tracing-officer", "view person", False)]
    # Asking who looked is itself on record, and only coordinators and admins may ask.
    again = ok(coordinator.get(f"/api/persons/{seen}/reads", params={"limit": 1}))
    assert again["reads"][0]["action"] == "view reads of person"
    assert again["total"] == reads["total"] + 1
    for role in ("registrar", "tracing_officer", "checkpoint_monitor", "partner"):
        assert api.as_(role).get(f"/api/persons/{seen}/reads").status_code == 403, role
    listed = ok(coordinator.get("/api/persons", params={"limit": 5}))
    assert {p["person_id"] for p in listed} == {seen, unseen}
    of_unseen = ok(coordinator.get(f"/api/persons/{unseen}/reads"))["reads"]
    assert "view person" not in [r["action"] for r in of_unseen]
    # Only the list that returned them: the one of the first person alone did not.
    assert [(r["username"], r["action"]) for r in of_unseen].count(
        ("coordinator", "list persons")) == 1


def test_who_recorded_a_fact_is_the_account_that_pushed_it(api) -> None:
    """A monitor's phone pushes an incident in a coordinator's name, backdated: it is
    shown as pushed by the monitor, with the device's claim flagged beside it."""
    coordinator, monitor = api.as_("coordinator"), api.as_("checkpoint_monitor")
    set_up(coordinator)
    forged = {"id": str(uuid.uuid4()), "type": "IncidentReported", "device_id": "phone-9",
              "author": "coordinator", "recorded_at": "2016-12-14T09:00:00+00:00",
              "payload": {"incident_id": "i-forged", "type": "shooting",
                          "occurred_at": "2016-12-14T08:30:00+00:00", "location_id": "cp1",
                          "killed": 0, "injured": 2, "reported_by": "driver",
                          "description": "shots at the checkpoint"}}
    receipt = ok(monitor.post("/api/sync/push", json={"events": [forged]}))["receipts"][0]
    assert receipt["status"] == "accepted", receipt
    ok(api.as_("reception").post("/api/incidents", json={
        "incident_id": "i-honest", "type": "medical", "occurred_at": "2016-12-15T10:00:00Z",
        "reported_by": "nurse"}), 201)
    shown = {i["incident_id"]: i for i in ok(coordinator.get("/api/incidents"))}
    assert shown["i-forged"]["recorded_by"] == "coordinator"
    assert shown["i-forged"]["pushed_by"] == "checkpoint-monitor"
    assert shown["i-forged"]["recorder_mismatch"] is True
    assert (shown["i-honest"]["pushed_by"], shown["i-honest"]["recorder_mismatch"]) == (
        "reception", False)
    partner_view = ok(api.as_("partner").get("/api/incidents"))
    assert all(not {"pushed_by", "recorded_by", "recorder_mismatch"} & set(i)
               for i in partner_view)
    # A fact the record refuses keeps its recorder too.
    removal = {**forged, "id": str(uuid.uuid4()), "type": "PersonRemoved",
               "payload": {"person_id": "nobody", "checkpoint_id": "cp1", "reason": "detained"}}
    ok(monitor.post("/api/sync/push", json={"events": [removal]}))
    conflict = next(c for c in ok(coordinator.get("/api/conflicts"))
                    if c["event_id"] == removal["id"])
    assert (conflict["recorded_by"], conflict["pushed_by"], conflict["recorder_mismatch"]) == (
        "coordinator", "checkpoint-monitor", True)


def test_reads_recorded_before_the_chain_are_chained_by_the_migration(engine) -> None:
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0003")
        for row_id in (2, 5, 9):  # ids with gaps, as an autoincrement leaves them
            conn.execute(text("INSERT INTO audit_log (id, at, username, action, subject) "
                              "VALUES (:id, :at, 'amal', 'view person', :subject)"),
                         {"id": row_id, "at": datetime(2016, 12, 15, 9, row_id, tzinfo=UTC),
                          "subject": f"p{row_id}"})
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
    checked = verify_audit(engine)
    assert checked.intact and checked.checked == 3
    record_read(engine, READER, "view person", "p10", persons=["p10"])
    with engine.connect() as conn:
        rows = conn.execute(select(audit_log.c.id, audit_log.c.subject)
                            .order_by(audit_log.c.id)).all()
    assert [tuple(r) for r in rows] == [(1, "p2"), (2, "p5"), (3, "p9"), (4, "p10")]
    assert verify_audit(engine).intact
