"""Reading and keeping snapshots of the fold (`schema.snapshots`). The bytes are opaque
here: services/timeline.py makes, signs and checks them."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, select

from corridor.storage.schema import snapshots


def nearest(conn: Connection, epoch: str, fold: str, seq: int) -> list[tuple[int, bytes]]:
    """The snapshots at or below `seq` made by this fold in this epoch, nearest first
    (the caller takes the first that verifies), at most three."""
    rows = conn.execute(select(snapshots.c.seq, snapshots.c.data).where(
        snapshots.c.epoch == epoch, snapshots.c.fold == fold, snapshots.c.seq <= seq)
        .order_by(snapshots.c.seq.desc()).limit(3)).all()
    return [(int(row.seq), bytes(row.data)) for row in rows]


def made(conn: Connection, epoch: str, fold: str) -> set[int]:
    """The sequence numbers this fold has snapshots at, in this epoch."""
    return set(conn.execute(select(snapshots.c.seq).where(
        snapshots.c.epoch == epoch, snapshots.c.fold == fold)).scalars())


def keep(conn: Connection, epoch: str, fold: str, seq: int, data: bytes) -> None:
    """Keep a snapshot; one already there for the same key stays (another process made
    the same state)."""
    if conn.execute(select(snapshots.c.seq).where(
            snapshots.c.epoch == epoch, snapshots.c.fold == fold,
            snapshots.c.seq == seq)).first() is None:
        conn.execute(snapshots.insert().values(epoch=epoch, fold=fold, seq=seq,
                                               made_at=datetime.now(UTC), data=data))


def forget(conn: Connection, epoch: str, fold: str, seq: int) -> None:
    """Drop a snapshot that does not verify, so it is made again."""
    conn.execute(snapshots.delete().where(snapshots.c.epoch == epoch,
                                          snapshots.c.fold == fold, snapshots.c.seq == seq))
