"""Accounts, who is asking, web sessions and API tokens (the audit log of reads is
`services.audit`).

Every request, web or API, is resolved by `resolve`: the account as it is now (active,
its role), through a web session or an API token that has not expired, ended or been
revoked. Logout deletes the session; a password change, deactivation or role change
ends every session and revokes every token of the account at once, so nothing issued
under the old credentials or role outlives the change.

Passwords are hashed with Argon2id, refused when common or easy to guess (zxcvbn's
frequency lists), and hashed or checked at most HASH_SLOTS at a time: each check takes
64 MiB and most of a core, so a flood of sign-ins must queue briefly or be turned away
(`HashingBusy`) rather than exhaust memory and the threads that serve reads. Session
ids and API tokens are random and stored only as their SHA-256, so a copy of the
database gives no one a working session or token.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Engine, delete, func, insert, select, update
from zxcvbn import zxcvbn

from corridor import config
from corridor.domain.vocabulary import Role
from corridor.services.audit import record_event
from corridor.services.ledger import Principal
from corridor.storage.database import immediate
from corridor.storage.schema import ID as ID_LENGTH
from corridor.storage.schema import api_tokens, sessions, users

_hasher = PasswordHasher()
USERNAME = re.compile(r"^[a-z0-9_.-]{2,64}$")
MIN_PASSWORD = 10
MAX_PASSWORD = 1000
GUESSABLE = 2  # zxcvbn scores below this (0: in the top lists, 1: a short variant of one)
# Two Argon2 computations at a time (128 MiB, the machine's two cores). A sign-in waits
# for one at most HASH_WAIT, and at most HASH_QUEUE sign-ins wait at all: beyond that
# the answer is "busy" at once, so a flood holds a few server threads, never the ones
# that reads need.
HASH_SLOTS = 2
HASH_QUEUE = 8
HASH_WAIT = 5.0
# A session's last activity and a token's last use are written at most this often,
# not on every request.
TOUCH_EVERY = timedelta(minutes=1)
TOKEN_ID = 12  # hex digits of the token's SHA-256 that name it in lists
_hashing = threading.BoundedSemaphore(HASH_SLOTS)
_queue = threading.BoundedSemaphore(HASH_QUEUE)


class AccessError(ValueError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field, self.reason = field, reason


class HashingBusy(Exception):
    """Too many sign-ins waiting to have their password checked: try again in a moment."""

    retry_after = 1


@contextmanager
def _hash_slot(wait: float | None) -> Iterator[None]:
    """A hashing slot. With a `wait` (a sign-in): a place in the queue or HashingBusy at
    once, then a slot within `wait` or HashingBusy. Without (setting a password, done by
    an admin): a slot whenever one comes free."""
    if wait is not None:
        if not _queue.acquire(blocking=False):
            raise HashingBusy
        try:
            got = _hashing.acquire(timeout=wait)
        finally:
            _queue.release()
        if not got:
            raise HashingBusy
    else:
        _hashing.acquire()
    try:
        yield
    finally:
        _hashing.release()


@cache
def _dummy_hash() -> str:
    """Verified against on unknown usernames, so a failed login takes as long whether or
    not the account exists; made on first use, not at import (Argon2 costs 64 MiB)."""
    with _hash_slot(None):
        return _hasher.hash("corridor-timing-equaliser")


def _now() -> datetime:
    return datetime.now(UTC)


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite drops the offset


def _hash_of(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# --- accounts ----------------------------------------------------------------------------


def _password_hash(username: str, password: str) -> str:
    """The Argon2 hash of a password fit to be set; AccessError says why one is not."""
    if len(password) < MIN_PASSWORD:
        raise AccessError("password", f"use at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise AccessError("password", f"use at most {MAX_PASSWORD} characters")
    # zxcvbn reads at most 72 characters; a longer password is not short of guesses.
    verdict = zxcvbn(password[:72], user_inputs=[username])
    if verdict["score"] < GUESSABLE:
        warning = verdict["feedback"]["warning"].rstrip(".")
        raise AccessError("password", "this password is too common or too easy to guess"
                          + (f" ({warning[:1].lower()}{warning[1:]})" if warning else "")
                          + ": use a few uncommon words")
    with _hash_slot(None):
        return _hasher.hash(password)


def _role(role: str) -> Role:
    if role not in Role.__members__.values():
        raise AccessError("role", f"role must be one of: {', '.join(Role)}")
    return Role(role)


def add_user(engine: Engine, username: str, role: str, password: str,
             post_id: str | None = None) -> None:
    if not USERNAME.match(username):
        raise AccessError("username", "use 2–64 lowercase letters, digits, '.', '_' or '-'")
    _role(role)
    _check_post(post_id)
    password_hash = _password_hash(username, password)
    with immediate(engine) as conn:
        if conn.execute(select(users.c.username).where(users.c.username == username)).first():
            raise AccessError("username", f"user {username} already exists")
        conn.execute(insert(users).values(username=username, role=role, active=True,
                                          password_hash=password_hash, created_at=_now(),
                                          post_id=post_id))


def set_post(engine: Engine, username: str, post_id: str | None, *, by: str) -> None:
    """Station an account at a location (or at none), audited as who did it. Its
    sessions and tokens go on: each request reads the post anew, so what it reads
    follows at once. The location need not be recorded yet: accounts are set up before
    the operation."""
    _check_post(post_id)
    with immediate(engine) as conn:
        done = conn.execute(update(users).where(users.c.username == username)
                            .values(post_id=post_id))
        if done.rowcount == 0:
            raise AccessError("username", f"user {username} does not exist")
    record_event(engine, by, f"account: stationed at {post_id or 'no post'}", username)


def _change(engine: Engine, username: str, by: str, action: str, **values: Any) -> None:
    """Change an account and end its sessions and tokens in the same transaction; then
    audit who did it."""
    with immediate(engine) as conn:
        done = conn.execute(update(users).where(users.c.username == username).values(**values))
        if done.rowcount == 0:
            raise AccessError("username", f"user {username} does not exist")
        conn.execute(delete(sessions).where(sessions.c.username == username))
        conn.execute(update(api_tokens).where(api_tokens.c.username == username,
                                              api_tokens.c.revoked.is_(False))
                     .values(revoked=True))
    record_event(engine, by, action, username)


def set_password(engine: Engine, username: str, password: str, *, by: str) -> None:
    _change(engine, username, by, "account: password set",
            password_hash=_password_hash(username, password))


def set_role(engine: Engine, username: str, role: str, *, by: str) -> None:
    _change(engine, username, by, f"account: role set to {_role(role)}", role=_role(role))


def deactivate(engine: Engine, username: str, *, by: str) -> None:
    _change(engine, username, by, "account: deactivated", active=False)


def _check_post(post_id: str | None) -> None:
    if post_id is not None and not 1 <= len(post_id) <= ID_LENGTH:
        raise AccessError("post", f"a location id has 1–{ID_LENGTH} characters")


def authenticate(engine: Engine, username: str, password: str) -> Principal | None:
    """The account if the password is right; HashingBusy when no slot came free in time
    (callers limit how often this is tried: services/signin.py)."""
    with engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.username == username,
                                               users.c.active.is_(True))).first()
    expected = row.password_hash if row else _dummy_hash()
    with _hash_slot(HASH_WAIT):
        try:
            _hasher.verify(expected, password)
        except (VerificationError, InvalidHashError):
            return None
    return Principal(row.username, Role(row.role), "web", row.post_id) if row else None


def accounts(engine: Engine) -> list[dict[str, Any]]:
    """Every account with how many live sessions and unrevoked, unexpired tokens it has."""
    now = _now()
    live_sessions = (select(sessions.c.username, func.count().label("n"))
                     .where(sessions.c.created_at > now - config.session_lifetime(),
                            sessions.c.last_seen_at > now - config.session_idle())
                     .group_by(sessions.c.username).subquery())
    live_tokens = (select(api_tokens.c.username, func.count().label("n"))
                   .where(api_tokens.c.revoked.is_(False), api_tokens.c.expires_at > now)
                   .group_by(api_tokens.c.username).subquery())
    query = (select(users.c.username, users.c.role, users.c.active, users.c.created_at,
                    func.coalesce(live_sessions.c.n, 0).label("sessions"),
                    func.coalesce(live_tokens.c.n, 0).label("tokens"))
             .outerjoin(live_sessions, live_sessions.c.username == users.c.username)
             .outerjoin(live_tokens, live_tokens.c.username == users.c.username)
             .order_by(users.c.username))
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


# --- who is asking -----------------------------------------------------------------------


def resolve(engine: Engine, *, token: str | None = None,
            session_id: str | None = None) -> Principal | None:
    """Who is asking — the one resolver for every request, web or API: by bearer token
    if one is sent, else by web session; None when it is unknown, expired, ended or
    revoked, or its account is no longer active. The role is the account's now."""
    if token is not None:
        return _by_token(engine, token)
    if session_id is not None:
        return _by_session(engine, session_id)
    return None


def _by_token(engine: Engine, token: str) -> Principal | None:
    now, token_hash = _now(), _hash_of(token)
    query = (select(users.c.username, users.c.role, users.c.post_id, api_tokens.c.label,
                    api_tokens.c.expires_at, api_tokens.c.last_used_at)
             .join(users, users.c.username == api_tokens.c.username)
             .where(api_tokens.c.token_hash == token_hash,
                    api_tokens.c.revoked.is_(False), users.c.active.is_(True)))
    with engine.connect() as conn:
        row = conn.execute(query).first()
    if row is None or _utc(row.expires_at) <= now:
        return None
    if row.last_used_at is None or now - _utc(row.last_used_at) >= TOUCH_EVERY:
        with immediate(engine) as conn:
            conn.execute(update(api_tokens).where(api_tokens.c.token_hash == token_hash)
                         .values(last_used_at=now))
    return Principal(row.username, Role(row.role), device_id(row.label), row.post_id)


def _by_session(engine: Engine, session_id: str) -> Principal | None:
    now, session_hash = _now(), _hash_of(session_id)
    query = (select(users.c.username, users.c.role, users.c.post_id, sessions.c.created_at,
                    sessions.c.last_seen_at)
             .join(users, users.c.username == sessions.c.username)
             .where(sessions.c.session_hash == session_hash, users.c.active.is_(True)))
    with engine.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        return None
    # Idle time counts from the last request, the lifetime from sign-in: no request,
    # however it is signed, renews a session past its lifetime.
    if now - _utc(row.created_at) >= config.session_lifetime() or \
            now - _utc(row.last_seen_at) >= config.session_idle():
        end_session(engine, session_id)
        return None
    if now - _utc(row.last_seen_at) >= TOUCH_EVERY:
        with immediate(engine) as conn:
            conn.execute(update(sessions).where(sessions.c.session_hash == session_hash)
                         .values(last_seen_at=now))
    return Principal(row.username, Role(row.role), "web", row.post_id)


# --- web sessions ------------------------------------------------------------------------


def start_session(engine: Engine, username: str) -> str:
    """A new session for a signed-in account: its id, for the signed cookie."""
    session_id, now = secrets.token_urlsafe(32), _now()
    with immediate(engine) as conn:
        # Sessions left to expire (never resolved again, never logged out) go here.
        conn.execute(delete(sessions).where(
            (sessions.c.created_at <= now - config.session_lifetime())
            | (sessions.c.last_seen_at <= now - config.session_idle())))
        conn.execute(insert(sessions).values(session_hash=_hash_of(session_id),
                                             username=username, created_at=now,
                                             last_seen_at=now))
    return session_id


def end_session(engine: Engine, session_id: str) -> None:
    """Logout: the session ends here, so a copy of its cookie is worth nothing."""
    with immediate(engine) as conn:
        conn.execute(delete(sessions).where(sessions.c.session_hash == _hash_of(session_id)))


# --- API tokens --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """A token as it is listed: never the token itself."""

    id: str
    label: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime

    @property
    def expired(self) -> bool:
        return self.expires_at <= _now()


def issue_token(engine: Engine, username: str, label: str,
                lifetime: timedelta | None = None) -> str:
    """A new token for one of the account's devices, valid for `lifetime` (by default
    CORRIDOR_TOKEN_DAYS); it is returned once and only its hash is kept."""
    token, now = secrets.token_urlsafe(32), _now()
    with immediate(engine) as conn:
        _existing(conn, username)
        conn.execute(insert(api_tokens).values(
            token_hash=_hash_of(token), username=username, label=label[:120] or "api",
            created_at=now, expires_at=now + (lifetime or config.token_lifetime()),
            revoked=False))
    return token


def _existing(conn: Connection, username: str) -> None:
    if conn.execute(select(users.c.username).where(users.c.username == username)).first() \
            is None:
        raise AccessError("username", f"user {username} does not exist")


def list_tokens(engine: Engine, username: str) -> list[TokenInfo]:
    """The account's tokens not revoked (expired ones included, marked), newest first."""
    with engine.connect() as conn:
        _existing(conn, username)
        rows = conn.execute(select(api_tokens).where(api_tokens.c.username == username,
                                                     api_tokens.c.revoked.is_(False))
                            .order_by(api_tokens.c.created_at.desc())).all()
    return [TokenInfo(row.token_hash[:TOKEN_ID], row.label, _utc(row.created_at),
                      _utc(row.last_used_at) if row.last_used_at else None,
                      _utc(row.expires_at)) for row in rows]


def revoke_tokens(engine: Engine, username: str, token_id: str | None = None, *,
                  by: str) -> int:
    """Revoke one of the account's tokens (by the id `list_tokens` shows) or, without
    an id, all of them; how many were revoked. Audited as done by `by`."""
    if token_id is not None and not re.fullmatch(f"[0-9a-f]{{{TOKEN_ID}}}", token_id):
        raise AccessError("token", f"a token id is {TOKEN_ID} hex digits, as "
                          "`corridor user tokens` lists them")
    query = update(api_tokens).where(api_tokens.c.username == username,
                                     api_tokens.c.revoked.is_(False))
    if token_id is not None:
        query = query.where(api_tokens.c.token_hash.startswith(token_id))
    with immediate(engine) as conn:
        _existing(conn, username)
        done = conn.execute(query.values(revoked=True)).rowcount
    if token_id is not None and done == 0:
        raise AccessError("token", f"{username} has no unrevoked token {token_id}")
    record_event(engine, by, f"account: {done} token(s) revoked", username)
    return done


def sign_out_token(engine: Engine, token: str) -> bool:
    """A device signing out: the token it holds revoked. False when the token was not a
    live one (unknown, expired or revoked already)."""
    token_hash, now = _hash_of(token), _now()
    with immediate(engine) as conn:
        username = conn.scalar(select(api_tokens.c.username).where(
            api_tokens.c.token_hash == token_hash, api_tokens.c.revoked.is_(False),
            api_tokens.c.expires_at > now))
        if username is not None:
            conn.execute(update(api_tokens).where(api_tokens.c.token_hash == token_hash)
                         .values(revoked=True))
    if username is None:
        return False
    record_event(engine, username, "account: token signed out", token_hash[:TOKEN_ID])
    return True


def device_id(label: str) -> str:
    """A token's label, as a device id fit for the ledger."""
    return re.sub(r"[^A-Za-z0-9_.:-]", "-", label)[:64] or "api"


