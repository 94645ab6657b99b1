"""Delivering the devices' streams through the public sync API, with the plan's faults.

Each device is a phone: it holds its events, pushes the ones without a receipt in
its own order (`POST /api/sync/push`, its own bearer token), keeps the epoch it last
saw and re-sends everything it holds when the epoch changes. After the server went
away (killed, restored) every phone pulls before it pushes again, so it learns a new
epoch before sending anything into it. A phone that gets no answer re-sends; one
answered with an error three times in a row is stuck, as a real one would be for
ever (reported, not retried without end).
"""

from __future__ import annotations

import itertools
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine

from bench.faults.plan import Plan
from bench.faults.server import Server, ServerFailed, corridor
from bench.faults.story import Device, Entry, Story, canonical_id
from corridor.domain.permissions import PULLS_SCOPE
from corridor.domain.vocabulary import Role
from corridor.services.access import AccessError, add_user, issue_token
from corridor.storage.database import connect

PASSWORD = "correct horse battery"
MAX_FAILURES = 3  # error answers in a row after which a phone is stuck
TIMEOUT = 60.0  # seconds per request
SAMPLES = 5  # error answers and rejections kept as examples


@dataclass
class Tally:
    """What the phones saw."""

    pushes: int = 0
    lost_responses: int = 0
    twice: int = 0  # batches pushed from two threads at once
    kills: int = 0
    restores: int = 0
    signed_in_again: int = 0  # phones whose token the restored server did not know
    accounts_recreated: int = 0  # ...and whose account it did not have either
    server_errors: int = 0  # 5xx answers to anything
    errors: list[str] = field(default_factory=list)
    receipt_faults: int = 0  # answers without one receipt per event, in order
    disagreements: int = 0  # receipts giving one event two seqs in one epoch
    rejected: int = 0  # device events (not hostile) answered `rejected`
    rejections: list[str] = field(default_factory=list)
    stuck: int = 0
    timed_out: bool = False
    aborted: str | None = None  # the server would not start again, or a restore failed
    epoch: str | None = None  # the last one any answer carried: the final database's
    acks: dict[str, tuple[str, int]] = field(default_factory=dict)  # id -> (epoch, seq)
    counts: dict[str, Any] | None = None  # GET /api/operation at the end


class Phone:
    def __init__(self, device: Device) -> None:
        self.device = device
        self.pending: list[Entry] = list(device.entries)  # without a receipt, in order
        self.token = ""
        self.epoch: str | None = None
        self.failures = 0
        self.reconnect = True  # pull before the next push
        self.client = httpx.Client(timeout=TIMEOUT)

    @property
    def stuck(self) -> bool:
        return self.failures >= MAX_FAILURES


class Driver:
    def __init__(self, story: Story, plan: Plan, server: Server, spare: Callable[[], str],
                 scratch: Path, deadline: float) -> None:
        self.story, self.plan, self.server, self.spare = story, plan, server, spare
        self.scratch, self.deadline = scratch, deadline
        self.rng = random.Random(f"drive-{story.seed}")
        self.phones = [Phone(d) for d in story.devices]
        total = sum(len(d.entries) for d in story.devices)
        # Shuffled delivery: some phones are online far less often than others.
        self.weights = [self.rng.uniform(0.05, 1.0) for _ in self.phones]
        # Late delivery: one or two phones stay offline until this many receipts.
        self.offline_until = {id(p): self.rng.uniform(0.3, 0.9) * total for p in self.rng.sample(
            self.phones, self.rng.randint(1, 2))} if plan.order == "late" else {}
        self.kill_points = [share * total for share in plan.kills]
        self.backup_point = plan.backup_at * total if plan.backup_at is not None else None
        self.restore_point = plan.restore_at * total if plan.restore_at is not None else None
        self.backup: Path | None = None
        self.receipted = 0  # receipts received so far, re-sends included: the progress
        self.tally = Tally()
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(2)
        self._engines: dict[str, Engine] = {}

    def deliver(self) -> Tally:
        try:
            self._open_accounts()
            while ready := [p for p in self.phones if p.pending and not p.stuck]:
                if time.monotonic() > self.deadline:
                    self.tally.timed_out = True
                    break
                self._backup_or_restore()
                ready = [p for p in ready
                         if self.receipted >= self.offline_until.get(id(p), 0)] or ready
                phone = self._pick(ready)
                if phone.reconnect:
                    self._pull(phone)
                self._push(phone, self._batch(phone, ready))
            self.tally.stuck = sum(p.stuck for p in self.phones)
            self.tally.counts = self._final_counts()
        except ServerFailed as exc:
            self.tally.aborted = str(exc)[:300]
        finally:
            for phone in self.phones:
                phone.client.close()
            self._pool.shutdown()
            for engine in self._engines.values():
                engine.dispose()
        return self.tally

    # --- accounts ------------------------------------------------------------------------

    def _engine(self) -> Engine:
        url = self.server.database
        if url not in self._engines:
            self._engines[url] = connect(url)
        return self._engines[url]

    def _open_accounts(self) -> None:
        """One account per role, one token per device (as `corridor user add` and
        `corridor user token` make them)."""
        for username, role in {d.username: d.role for d in self.story.devices}.items():
            add_user(self._engine(), username, role, PASSWORD)
        for phone in self.phones:
            phone.token = issue_token(self._engine(), phone.device.username,
                                      phone.device.device_id)

    def _sign_in(self, phone: Phone) -> bool:
        """The way back in when the server does not know the token (a restore from a
        backup without accounts): sign in again (`POST /api/auth/token`); if the
        account is missing too, an operator re-creates it first."""
        device = phone.device
        body = {"username": device.username, "password": PASSWORD, "device": device.device_id}
        with self._lock:
            self.tally.signed_in_again += 1
        for attempt in range(2):
            response = self._send(phone.client, "POST", "/api/auth/token", json=body)
            for _ in range(3):  # throttled (docs/accounts.md): wait as told, like a phone
                if response is None or response.status_code not in (429, 503):
                    break
                time.sleep(min(float(response.headers.get("Retry-After", "1")), 60))
                response = self._send(phone.client, "POST", "/api/auth/token", json=body)
            if response is not None and response.status_code == 201:
                phone.token = response.json()["token"]
                return True
            if response is None or response.status_code != 401 or attempt:
                return False
            try:
                add_user(self._engine(), device.username, device.role, PASSWORD)
            except AccessError:  # it exists: the password is wrong, which it is not
                return False
            with self._lock:
                self.tally.accounts_recreated += 1
        return False

    # --- requests ------------------------------------------------------------------------

    def _send(self, client: httpx.Client, method: str, path: str, token: str | None = None,
              **options: Any) -> httpx.Response | None:
        """One request; None when no answer came (connection refused or cut)."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            response = client.request(method, self.server.url + path, headers=headers,
                                      **options)
        except httpx.TransportError:
            return None
        if response.status_code >= 500:
            with self._lock:
                self.tally.server_errors += 1
                if len(self.tally.errors) < SAMPLES:
                    self.tally.errors.append(f"{response.status_code} {method} {path}: "
                                             f"{response.text[:200]}")
        return response

    def _request(self, phone: Phone, method: str, path: str,
                 client: httpx.Client | None = None, **options: Any) -> httpx.Response | None:
        response = self._send(client or phone.client, method, path, phone.token, **options)
        if response is not None and response.status_code == 401 and self._sign_in(phone):
            response = self._send(client or phone.client, method, path, phone.token, **options)
        return response

    def _pull(self, phone: Phone) -> None:
        """Learn the server's epoch as the phone would: a field phone by its scoped pull,
        a coordinator's (which pulls nothing) by an empty push."""
        if phone.device.role in PULLS_SCOPE:
            response = self._request(phone, "GET", "/api/sync/scope")
        else:
            response = self._request(phone, "POST", "/api/sync/push", json={"events": []})
        if response is not None and response.status_code == 200:
            phone.reconnect = False
            self._learn_epoch(phone, response.json()["epoch"])

    def _learn_epoch(self, phone: Phone, epoch: str) -> None:
        """A new epoch: the server's ledger was restored; re-send everything held."""
        if phone.epoch is not None and epoch != phone.epoch:
            phone.pending = list(phone.device.entries)
        phone.epoch = self.tally.epoch = epoch

    def _final_counts(self) -> dict[str, Any] | None:
        coordinator = next(p for p in self.phones if p.device.role == Role.COORDINATOR)
        response = self._request(coordinator, "GET", "/api/operation")
        return response.json()["counts"] if response is not None and \
            response.status_code == 200 else None

    # --- delivery --------------------------------------------------------------------------

    def _pick(self, ready: list[Phone]) -> Phone:
        if self.plan.order == "shuffled":
            weights = [self.weights[self.phones.index(p)] for p in ready]
            return self.rng.choices(ready, weights=weights)[0]
        return min(ready, key=lambda p: p.pending[0].at)

    def _batch(self, phone: Phone, ready: list[Phone]) -> list[Entry]:
        """The first 1..max_batch pending events; unless shuffled, only those that
        happened before any other online phone's next one."""
        size = self.rng.randint(1, self.plan.max_batch)
        batch = phone.pending[:size]
        if self.plan.order != "shuffled":
            others = min((p.pending[0].at for p in ready if p is not phone),
                         default=float("inf"))
            batch = batch[:1] + list(itertools.takewhile(lambda e: e.at < others, batch[1:]))
        return batch

    def _push(self, phone: Phone, batch: list[Entry]) -> None:
        self.tally.pushes += 1
        body = {"events": [entry.event for entry in batch]}
        if self.kill_points and self.receipted >= self.kill_points[0]:
            self.kill_points.pop(0)
            self._push_and_kill(phone, batch, body)
            return
        roll = self.rng.random()
        if roll < self.plan.twice:
            self._push_twice(phone, batch, body)
        elif roll < self.plan.twice + self.plan.lost:
            self._request(phone, "POST", "/api/sync/push", json=body)  # the answer is lost
            self.tally.lost_responses += 1
        else:
            self._take(phone, batch, self._request(phone, "POST", "/api/sync/push", json=body))

    def _push_twice(self, phone: Phone, batch: list[Entry], body: dict[str, Any]) -> None:
        """The same batch from two threads at once (a retry racing the original)."""
        barrier = threading.Barrier(2)

        def send(client: httpx.Client) -> httpx.Response | None:
            barrier.wait()
            return self._request(phone, "POST", "/api/sync/push", client=client, json=body)

        with httpx.Client(timeout=TIMEOUT) as second:
            answers = list(self._pool.map(send, [phone.client, second]))
        self.tally.twice += 1
        for answer in answers:
            self._take(phone, batch, answer)

    def _push_and_kill(self, phone: Phone, batch: list[Entry], body: dict[str, Any]) -> None:
        """SIGKILL the server while the push is in flight, restart it on the same
        database; the phone re-sends whatever it got no receipt for."""
        pushing = self._pool.submit(self._request, phone, "POST", "/api/sync/push", json=body)
        time.sleep(self.rng.uniform(0.0, 0.05))
        self.server.kill()
        self.tally.kills += 1
        self._take(phone, batch, pushing.result())
        self._restart()

    def _backup_or_restore(self) -> None:
        """`corridor backup` mid-run; later the database is lost with its machine and
        `corridor restore` puts the backup into a fresh one, served in its place."""
        if self.backup_point is not None and self.receipted >= self.backup_point:
            self.backup_point = None
            self.backup = self.scratch / "backup.jsonl"
            corridor("backup", str(self.backup), "--database", self.server.database)
        elif self.backup is not None and self.restore_point is not None and \
                self.receipted >= self.restore_point:
            self.restore_point = None
            self.server.kill()
            restored = self.spare()
            corridor("restore", str(self.backup), "--database", restored)
            self.server.database = restored
            self.tally.restores += 1
            self._restart()

    def _restart(self) -> None:
        """Every phone reconnects and pulls (learning a new epoch, if any) before any
        of them pushes into the restarted server."""
        self.server.start()
        for phone in self.phones:
            phone.client.close()  # its connections died with the server
            phone.client = httpx.Client(timeout=TIMEOUT)
            phone.reconnect = True
            self._pull(phone)

    def _take(self, phone: Phone, batch: list[Entry], response: httpx.Response | None) -> None:
        """Apply an answer: every event with a receipt is done (a rejected one is kept
        on the phone for its user, not re-sent)."""
        if response is None:
            return
        if response.status_code != 200:
            phone.failures += 1
            return
        phone.failures = 0
        answer = response.json()
        self._learn_epoch(phone, answer["epoch"])
        receipts = answer["receipts"]
        if len(receipts) != len(batch):
            self.tally.receipt_faults += 1
            return
        for entry, receipt in zip(batch, receipts, strict=True):
            if entry.event_id is not None and canonical_id(receipt["id"]) != entry.event_id:
                self.tally.receipt_faults += 1
            if receipt["status"] in ("accepted", "duplicate"):
                self._ack(entry, answer["epoch"], receipt["seq"])
            elif not entry.hostile:
                self.tally.rejected += 1
                if len(self.tally.rejections) < SAMPLES:
                    self.tally.rejections.append(f"{entry.event['type']}: {receipt['reason']}")
        self.receipted += len(batch)
        answered = {id(entry) for entry in batch}
        phone.pending = [e for e in phone.pending if id(e) not in answered]

    def _ack(self, entry: Entry, epoch: str, seq: int) -> None:
        if entry.event_id is None:
            return
        with self._lock:
            known = self.tally.acks.get(entry.event_id)
            if known is not None and known[0] == epoch and known[1] != seq:
                self.tally.disagreements += 1
            self.tally.acks[entry.event_id] = (epoch, seq)

