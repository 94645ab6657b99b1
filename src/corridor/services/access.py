"""Accounts, API tokens and the audit log of reads.

Passwords are hashed with Argon2id; API tokens are random and stored only as their
SHA-256, so a copy of the database gives no one a working token.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Engine, insert, select, update

from corridor.domain.vocabulary import Role
from corridor.services.ledger import Principal
from corridor.storage.schema import ID as ID_LENGTH
from corridor.storage.schema import api_tokens, audit_log, users

_hasher = PasswordHasher()
USERNAME = re.compile(r"^[a-z0-9_.-]{2,64}$")
MIN_PASSWORD = 10
T = TypeVar("T")


@cache
def _dummy_hash() -> str:
    """Verified against on unknown usernames, so a failed login takes as long whether or
    not the account exists; made on first use, not at import (Argon2 costs 64 MiB)."""
    return _hasher.hash("corridor-timing-equaliser")


class AccessError(ValueError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field, self.reason = field, reason


def add_user(engine: Engine, username: str, role: str, password: str,
             post_id: str | None = None) -> None:
    if not USERNAME.match(username):
        raise AccessError("username", "use 2–64 lowercase letters, digits, '.', '_' or '-'")
    if role not in Role.__members__.values():
        raise AccessError("role", f"role must be one of: {', '.join(Role)}")
    if len(password) < MIN_PASSWORD:
        raise AccessError("password", f"use at least {MIN_PASSWORD} characters")
    _check_post(post_id)
    with _writing(engine) as conn:
        if conn.execute(select(users.c.username).where(users.c.username == username)).first():
            raise AccessError("username", f"user {username} already exists")
        conn.execute(insert(users).values(username=username, role=role, active=True,
                                          password_hash=_hasher.hash(password),
                                          created_at=datetime.now(UTC), post_id=post_id))


def set_post(engine: Engine, username: str, post_id: str | None) -> None:
    """Station an account at a location (or at none): what it reads follows at once.
    The location need not be recorded yet: accounts are set up before the operation."""
    _check_post(post_id)
    with _writing(engine) as conn:
        done = conn.execute(update(users).where(users.c.username == username)
                            .values(post_id=post_id))
        if done.rowcount == 0:
            raise AccessError("username", f"user {username} does not exist")


def set_password(engine: Engine, username: str, password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccessError("password", f"use at least {MIN_PASSWORD} characters")
    with engine.begin() as conn:
        done = conn.execute(update(users).where(users.c.username == username)
                            .values(password_hash=_hasher.hash(password)))
        if done.rowcount == 0:
            raise AccessError("username", f"user {username} does not exist")


def _check_post(post_id: str | None) -> None:
    if post_id is not None and not 1 <= len(post_id) <= ID_LENGTH:
        raise AccessError("post", f"a location id has 1–{ID_LENGTH} characters")


def authenticate(engine: Engine, username: str, password: str) -> Principal | None:
    with engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.username == username,
                                               users.c.active.is_(True))).first()
    try:
        _hasher.verify(row.password_hash if row else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    return Principal(row.username, Role(row.role), "web", row.post_id) if row else None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(engine: Engine, username: str, label: str) -> str:
    token = secrets.token_urlsafe(32)
    with engine.begin() as conn:
        conn.execute(insert(api_tokens).values(
            token_hash=_token_hash(token), username=username, label=label[:120] or "api",
            created_at=datetime.now(UTC), revoked=False))
    return token


def principal_for_token(engine: Engine, token: str) -> Principal | None:
    query = (select(users.c.username, users.c.role, users.c.post_id, api_tokens.c.label)
             .join(users, users.c.username == api_tokens.c.username)
             .where(api_tokens.c.token_hash == _token_hash(token),
                    api_tokens.c.revoked.is_(False), users.c.active.is_(True)))
    with engine.connect() as conn:
        row = conn.execute(query).first()
    return (Principal(row.username, Role(row.role), device_id(row.label), row.post_id)
            if row else None)


def principal_for_session(engine: Engine, username: str) -> Principal | None:
    with engine.connect() as conn:
        row = conn.execute(select(users.c.role, users.c.post_id).where(
            users.c.username == username, users.c.active.is_(True))).first()
    return Principal(username, Role(row.role), "web", row.post_id) if row else None


def device_id(label: str) -> str:
    """A token's label, as a device id fit for the ledger."""
    return re.sub(r"[^A-Za-z0-9_.:-]", "-", label)[:64] or "api"


def audited(engine: Engine, principal: Principal, action: str, read: Callable[[Connection], T],
            subject: str | Callable[[T], str | None]) -> T:
    """Read personal data, then record the read (`record_read`) before it is returned.
    Nothing is recorded when the read found nothing (None) or `subject` gives None.

    The read and the audit row are two transactions: one transaction that read and
    then wrote would have to upgrade its lock, and SQLite refuses that at once
    (`database is locked`, no busy wait) whenever another writer got in between."""
    with engine.connect() as conn:
        found = read(conn)
    if found is None:
        return found
    said = subject(found) if callable(subject) else subject
    if said is not None:
        record_read(engine, principal, action, said)
    return found


def record_read(engine: Engine, principal: Principal, action: str, subject: str) -> None:
    """Record a read of personal data — who, when, what — in a short transaction of its own."""
    with _writing(engine) as conn:
        conn.execute(insert(audit_log).values(at=datetime.now(UTC), username=principal.username,
                                              action=action, subject=subject[:2000]))


@contextmanager
def _writing(engine: Engine) -> Iterator[Connection]:
    """A transaction that asks for SQLite's write lock up front (BEGIN IMMEDIATE), so it
    waits its turn (busy timeout) and never has to upgrade a read lock. The ledger's
    lock (`database.writing`) is not needed: these tables are not the ledger."""
    with engine.connect() as conn:
        conn = conn.execution_options(corridor_writer=True)
        with conn.begin():
            yield conn
