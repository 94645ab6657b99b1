"""Signing in with a password, throttled per account and per address.

After a few failures the next attempt must wait, twice as long after each further
failure (back-off); after many within the window the account, or the address, is
locked until the window has passed since the last failure. The counts are kept in
the database (`limits`), so every server process sees the same ones. A refused
attempt is not counted (it was never checked), so waiting out a lockout ends it.
Failed sign-ins and lockouts are written to the audit log. A success clears the
account's failures, not the address's: one good password must not reset the count
of an address guessing at others.

The address is the client's as the server sees it; behind a reverse proxy, run
uvicorn with `--proxy-headers` (and `--forwarded-allow-ips`) so it is the real one. An
IPv6 address is counted by its /64, which one client usually holds whole.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from corridor.services import limits
from corridor.services.access import authenticate
from corridor.services.audit import record_event
from corridor.services.ledger import Principal
from corridor.services.limits import Limit, RateLimited, seconds_until

WINDOW = timedelta(minutes=15)
MAX_BACKOFF = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Throttle:
    """`free` failures without a wait; back-off after; locked at `limit.count`."""

    limit: Limit
    free: int

    def wait(self, failures: list[datetime], now: datetime) -> int:
        """Seconds until the next attempt may be checked (0: now)."""
        if len(failures) < self.free:
            return 0
        last = failures[-1]
        if len(failures) >= self.limit.count:
            return seconds_until(last + self.limit.window, now)
        backoff = min(MAX_BACKOFF, timedelta(seconds=2 ** (len(failures) - self.free)))
        return seconds_until(last + backoff, now)


# An address is allowed more than an account: several people may sign in from
# behind one office's or one phone network's address.
ACCOUNT = Throttle(Limit("sign-in failures for this account", 10, WINDOW), free=3)
ADDRESS = Throttle(Limit("sign-in failures from this address", 30, WINDOW), free=10)


def _source(address: str) -> str:
    """What is counted for an address: itself, or an IPv6 address's /64."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:  # not an address (a test client's name): counted as it is
        return address
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def sign_in(engine: Engine, username: str, password: str, address: str) -> Principal | None:
    """The account if the password is right, None if not; RateLimited while the account
    or the address must wait, access.HashingBusy when the server is checking too many
    passwords at once."""
    now = datetime.now(UTC)
    subjects = ((ACCOUNT, username), (ADDRESS, _source(address)))
    for throttle, subject in subjects:
        wait = throttle.wait(limits.recent(engine, throttle.limit, subject, now), now)
        if wait:
            raise RateLimited(throttle.limit.name, wait)
    principal = authenticate(engine, username, password)
    if principal is not None:
        limits.clear(engine, ACCOUNT.limit, username)
        return principal
    record_event(engine, username, "sign-in failed", f"from {address}")
    for throttle, subject in subjects:
        if limits.note(engine, throttle.limit, subject, now) == throttle.limit.count:
            record_event(engine, username, "sign-in locked",
                         f"{throttle.limit.name} ({subject}): locked for "
                         f"{int(throttle.limit.window.total_seconds() // 60)} min")
    return None
