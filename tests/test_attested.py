"""The account that pushed an event is in the ledger's chain hash, from
`ledger_meta.attested_from` on: a ledger begun before that format still verifies,
and a backup carries where the format changed."""

from __future__ import annotations

from io import BytesIO

from events_factory import Device, household, setup_events
from sqlalchemy import select, text, update
from typer.testing import CliRunner

from corridor.cli import app as cli
from corridor.domain.vocabulary import Role
from corridor.ledger.chain import GENESIS, chain
from corridor.services import backup
from corridor.services.ledger import Ledger, Principal, verify
from corridor.storage import ledger_store
from corridor.storage.schema import events, ledger_meta

MONITOR = Principal("monitor-7", Role.COORDINATOR, "phone-7")


def push(engine, *batches: list) -> None:
    for batch in batches:
        Ledger(engine).push(batch, MONITOR)


def test_changing_who_pushed_an_event_breaks_the_chain(engine, database_url) -> None:
    device = Device()
    push(engine, setup_events(device))
    with engine.begin() as conn:
        conn.execute(update(events).where(events.c.seq == 3).values(pushed_by="coordinator"))
    result = CliRunner().invoke(cli, ["verify", "--database", database_url])
    assert result.exit_code == 1 and "chain broken at seq 3" in result.output, result.output


def _as_before_attestation(engine) -> int:
    """Rewrite the ledger as it was chained before pushed_by was hashed (migration 0005
    leaves such a ledger as it is, with `attested_from` after its last event)."""
    with engine.begin() as conn:
        previous = GENESIS
        for event in list(ledger_store.read(conn)):
            previous = chain(previous, event.digest, event.seq, event.received_at)
            conn.execute(update(events).where(events.c.seq == event.seq).values(chain=previous))
        head = conn.execute(select(ledger_meta.c.head_seq)).scalar_one()
        conn.execute(update(ledger_meta).values(head_chain=previous, attested_from=head + 1))
    return int(head)


def test_a_ledger_chained_before_attestation_still_verifies_and_new_events_are_attested(
        engine, empty_engine) -> None:
    device = Device()
    push(engine, setup_events(device))
    old = _as_before_attestation(engine)
    assert verify(engine).broken is None
    push(engine, [household(device, "h1", 2)])
    assert verify(engine).reason is None
    with engine.begin() as conn:
        conn.execute(text(f"UPDATE events SET pushed_by = 'someone' WHERE seq = {old + 1}"))
    assert verify(engine).broken.seq == old + 1
    with engine.begin() as conn:
        conn.execute(text(f"UPDATE events SET pushed_by = 'monitor-7' WHERE seq = {old + 1}"))

    saved = BytesIO()
    backup.backup(engine, saved, MONITOR)
    saved.seek(0)
    from corridor.storage.database import initialise

    initialise(empty_engine)
    backup.restore(empty_engine, saved)
    assert verify(empty_engine).reason is None
    with empty_engine.connect() as conn:
        assert ledger_store.attested_from(conn) == old + 1
