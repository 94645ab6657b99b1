"""Settings read from the environment, with defaults for the embedded demo."""

from __future__ import annotations

import gc
import os
import secrets
from datetime import timedelta
from pathlib import Path

DEFAULT_DATABASE = "corridor.db"


def database_url() -> str:
    return os.environ.get("CORRIDOR_DATABASE", DEFAULT_DATABASE)


def secure_cookies() -> str:
    """When cookies are sent with `Secure` (CORRIDOR_SECURE_COOKIES): `auto` (the
    default) when the request came over https — directly, or through a proxy on this
    host that says so in X-Forwarded-Proto (uvicorn trusts it from FORWARDED_ALLOW_IPS,
    127.0.0.1 by default) —, `on` always, `off` never (plain http on a closed
    network)."""
    value = os.environ.get("CORRIDOR_SECURE_COOKIES", "auto").strip().lower()
    if value not in ("auto", "on", "off"):
        raise ValueError(f"CORRIDOR_SECURE_COOKIES must be auto, on or off, not {value!r}")
    return value


def public_docs() -> bool:
    """Whether /docs and /openapi.json are open to anyone (CORRIDOR_PUBLIC_DOCS=1); by
    default only to a signed-in user or a bearer token, since the document maps
    every way into the record."""
    return os.environ.get("CORRIDOR_PUBLIC_DOCS", "").strip().lower() in ("1", "on", "true")


DEFAULT_MAX_REJECTS = 10_000


def max_rejects() -> int:
    """How many rejected events are kept for review per account and device
    (CORRIDOR_MAX_REJECTS); beyond it they are refused all the same and only counted,
    so a device that sends nothing but garbage cannot fill the disk."""
    value = os.environ.get("CORRIDOR_MAX_REJECTS", str(DEFAULT_MAX_REJECTS)).strip()
    if not value.isdigit():
        raise ValueError(f"CORRIDOR_MAX_REJECTS must be a whole number, not {value!r}")
    return int(value)


def session_secret(data_dir: Path | None = None) -> str:
    """The key that signs web sessions: from the environment, or made once and kept in
    a file beside the database so sessions survive a restart."""
    if secret := os.environ.get("CORRIDOR_SECRET"):
        return secret
    path = (data_dir or Path.cwd()) / ".corridor-secret"
    if path.exists():
        return path.read_text().strip()
    secret = secrets.token_urlsafe(32)
    # Created exclusively and private from the start: never readable by others, not
    # even for a moment, and never written through a link planted under its name.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(secret)
    return secret


def _duration(name: str, default: float, unit: str) -> timedelta:
    """A positive number of `unit`s from the environment, else the default. A value that
    is not one is refused at once rather than silently replaced."""
    text = os.environ.get(name)
    if text is None:
        return timedelta(**{unit: default})
    try:
        value = float(text)
    except ValueError:
        value = 0
    if not value > 0:
        raise ValueError(f"{name} must be a positive number of {unit}, not {text!r}")
    return timedelta(**{unit: value})


def session_idle() -> timedelta:
    """A web session unused this long is over (CORRIDOR_SESSION_IDLE_MINUTES, 30)."""
    return _duration("CORRIDOR_SESSION_IDLE_MINUTES", 30, "minutes")


def session_lifetime() -> timedelta:
    """A web session is over this long after sign-in, however busy
    (CORRIDOR_SESSION_HOURS, 12: a working day)."""
    return _duration("CORRIDOR_SESSION_HOURS", 12, "hours")


def token_lifetime() -> timedelta:
    """An API token expires this long after it was issued (CORRIDOR_TOKEN_DAYS, 30)."""
    return _duration("CORRIDOR_TOKEN_DAYS", 30, "days")


def tune_gc() -> None:
    """Collect young objects less often. The server keeps the operation's state in
    memory (tens of thousands of persons), and with Python's default thresholds the
    cyclic collector rescans it so often that validating a push took three times
    as long. Called by the server and the CLI, never on import."""
    gc.set_threshold(100_000, 50, 100)
