"""Hashes that make the ledger tamper-evident.

Each event has two hashes:
- `digest`: SHA-256 of what the device sent (id, type, payload, device, author,
  device clock). A retry with the same digest is a duplicate; a different digest
  under a known id is a conflict, rejected and kept.
- `chain`: SHA-256 of the previous event's chain, this event's digest, its server
  sequence and receive time, and — from `ledger_meta.attested_from` on — the account
  that pushed it, which the server attests (ledgers begun before that keep their
  hashes and still verify). Editing any stored event, or deleting or reordering
  one, breaks every chain hash from that point on.

The audit log of reads has a chain of its own (`audit_link`), kept apart from the
ledger's so that recording a read never waits for the ledger's write lock.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

GENESIS = "0" * 64


def canonical(value: Any) -> bytes:
    """One byte string per value: sorted keys, no whitespace, UTF-8."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def utc_text(moment: datetime) -> str:
    """Times as UTC ISO-8601 with microseconds, so the same instant hashes the same
    whichever offset the device used and whichever database stored it."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def digest(event_id: str, event_type: str, payload_json: str, device_id: str, author: str,
           recorded_at: str) -> str:
    content = canonical([event_id.lower(), event_type, payload_json, device_id, author,
                         recorded_at])
    return hashlib.sha256(content).hexdigest()


def chain(previous: str, event_digest: str, seq: int, received_at: str,
          pushed_by: str | None = None) -> str:
    link = f"{previous}|{event_digest}|{seq}|{received_at}"
    if pushed_by is not None:  # an attested event: who pushed it is covered too
        link += f"|{pushed_by}"
    return hashlib.sha256(link.encode()).hexdigest()


def audit_link(previous: str, row_id: int, at: str, username: str, action: str, why: str,
               subject: str, persons: list[str], everyone: bool) -> str:
    """The chain hash of one audit row: its content, the people it showed and the
    previous row's hash, so an edited, deleted or re-attributed read is noticed."""
    content = canonical([row_id, at, username, action, why, subject, sorted(persons), everyone])
    return hashlib.sha256(previous.encode() + b"|" + content).hexdigest()


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event as the ledger holds it."""

    seq: int
    id: str
    type: str
    payload: str  # canonical JSON text
    device_id: str
    author: str
    recorded_at: str
    received_at: str
    pushed_by: str
    digest: str
    chain: str

    def content_digest(self) -> str:
        return digest(self.id, self.type, self.payload, self.device_id, self.author,
                      self.recorded_at)

    def link(self, previous: str, attested: bool) -> str:
        return chain(previous, self.digest, self.seq, self.received_at,
                     self.pushed_by if attested else None)


def first_broken_link(events: Any, attested_from: int = 1) -> tuple[StoredEvent, str] | None:
    """Walk the chain from the start; the first event whose stored hashes do not match
    its content or its predecessor, with what is wrong with it. Events from
    `attested_from` on have the account that pushed them in their link."""
    previous, expected_seq = GENESIS, 1
    for event in events:
        if event.seq != expected_seq:
            return event, f"sequence jumps from {expected_seq - 1} to {event.seq}"
        if event.content_digest() != event.digest:
            return event, "its content does not match its digest (the event was edited)"
        if event.link(previous, event.seq >= attested_from) != event.chain:
            return event, "its chain hash does not follow from the previous event"
        previous, expected_seq = event.chain, expected_seq + 1
    return None
