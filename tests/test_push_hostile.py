"""Whatever a device sends, a push answers 200 with one receipt per event: a bad event
is rejected on its own and kept, and every other event of its batch gets its receipt."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from events_factory import Device, household
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from operation_setup import ok
from sqlalchemy import select

from corridor.storage.schema import rejects


def push_bytes(client: Any, body: bytes) -> list[dict[str, Any]]:
    """Push a body as bytes (stdlib JSON: it writes NaN, huge numbers and escaped lone
    surrogates that a well-behaved encoder would refuse)."""
    answer = ok(client.post("/api/sync/push", content=body,
                            headers={"content-type": "application/json"}))
    return list(answer["receipts"])


def push_events(client: Any, batch: list[Any]) -> list[dict[str, Any]]:
    return push_bytes(client, json.dumps({"events": batch}).encode())


def kept_rejects(engine: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(rejects).order_by(rejects.c.id)))


def assert_stored_safely(rows: list[Any]) -> None:
    for row in rows:
        assert row.event_id is None or str(uuid.UUID(row.event_id)) == row.event_id
        assert "\x00" not in row.reason and "\x00" not in row.body
        json.loads(row.body)  # the body is JSON text


def poison(device: Device) -> dict[str, Any]:
    """One of each kind of event that used to fail a push or break what came after it."""
    def event(**changes: Any) -> dict[str, Any]:
        return {**household(device, f"x{len(changes)}", 1), **changes}

    payload_nul = event()
    payload_nul["payload"]["members"][0]["given_name"] = "A\x00B"
    unknown_nul = event()
    unknown_nul["payload"]["bad\x00key"] = 1
    grows = event()
    grows["payload"]["members"][0]["given_name"] = "\ufb2c" * 41  # 123 characters in NFC
    huge = event()
    huge["payload"]["members"][0]["birth_year"] = 10 ** 400
    return {
        "recorded at year 1 (+01:00)": event(recorded_at="0001-01-01T00:00:00+01:00"),
        "recorded at year 1 (00:30+01:00)": event(recorded_at="0001-01-01T00:30:00+01:00"),
        "recorded at year 9999": event(recorded_at="9999-12-31T23:59:59-01:00"),
        "NUL in the id": event(id="0b7c5d0e-7f35-4a8e-9a3e-\x00f1f8c1b2a10"),
        "NUL in an unknown key": event(**{"x\x00y": 1}),
        "NUL in a payload value": payload_nul,
        "NUL in an unknown payload key": unknown_nul,
        "NUL in the type": event(type="Household\x00Registered"),
        "NUL in the device id": event(device_id="phone\x00"),
        "a name too long in NFC": grows,
        "an id too long": event(id="a" * 5000),
        "an id not a string": event(id=["0b7c5d0e"]),
        "a key not JSON-safe": event(**{"\ud800": 1}),
        "a huge number": huge,
        "not a number": event(payload={"latitude": float("nan")}),
        "nested junk": event(payload={"a": [[[{"b": [None] * 3}]]] * 3}),
        "not an object": [1, "two", None],
        "nothing": None,
    }


def test_each_poison_event_gets_its_own_rejection_and_the_rest_are_accepted(api,
                                                                            engine) -> None:
    registrar = api.as_("registrar")
    device = Device(author="registrar")
    bad = poison(device)
    good = [household(device, f"h{n}", 1) for n in range(len(bad) + 1)]
    batch: list[Any] = [x for pair in zip(good, bad.values(), strict=False) for x in pair]
    batch.append(good[-1])
    receipts = push_events(registrar, batch)
    assert len(receipts) == len(batch)
    assert [r["status"] for r in receipts[0::2]] == ["accepted"] * len(good)
    assert [r["id"] for r in receipts[0::2]] == [g["id"] for g in good]
    refused = dict(zip(bad, receipts[1::2], strict=True))
    assert {r["status"] for r in refused.values()} == {"rejected"}
    assert refused["recorded at year 9999"]["reason"].startswith("recorded_at: ")
    assert "2100-01-01" in refused["recorded at year 1 (+01:00)"]["reason"]
    assert refused["a name too long in NFC"]["reason"] == (
        "payload.members.0.given_name: String should have at most 120 characters")
    assert refused["NUL in an unknown payload key"]["reason"].startswith(
        "payload.bad\\u0000key: ")
    assert refused["NUL in the id"]["id"] == "0b7c5d0e-7f35-4a8e-9a3e-\\u0000f1f8c1b2a10"
    assert refused["an id too long"]["id"] is None
    kept = kept_rejects(engine)
    assert len(kept) == len(bad)
    assert_stored_safely(kept)


def test_a_body_only_pythons_parser_reads_still_gets_a_receipt_per_event(api, engine) -> None:
    registrar = api.as_("registrar")
    device = Device(author="registrar")
    good, cut_emoji = household(device, "h1", 1), household(device, "h2", 1)
    cut_emoji["payload"]["members"][0]["given_name"] = "Amal \ud83d"  # half an emoji
    infinite = {**household(device, "h3", 1), "payload": {"n": 1e400}}
    body = json.dumps({"events": [good, cut_emoji, infinite]}).encode()
    assert b"\\ud83d" in body and b"Infinity" in body
    receipts = push_bytes(registrar, body)
    assert [r["status"] for r in receipts] == ["accepted", "rejected", "rejected"]
    assert "lone surrogates" in receipts[1]["reason"]
    assert_stored_safely(kept_rejects(engine))


def test_a_body_too_deep_to_read_is_refused_whole_not_failed(api) -> None:
    deep = b'{"events": [' + b"[" * 5000 + b"]" * 5000 + b"]}"
    response = api.as_("registrar").post("/api/sync/push", content=deep,
                                          headers={"content-type": "application/json"})
    assert response.status_code == 422 and response.json()["field"] == "body"


# Values of every JSON kind, nested, including what a careless encoder writes.
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10 ** 30, 10 ** 30),
                    st.floats(), st.text(max_size=30),
                    st.sampled_from(["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00",
                                     "\x00", "\ud800", "HouseholdRegistered", "PersonBoarded",
                                     str(uuid.uuid4()).upper()]))
JUNK = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=12)
FIELDS = ["id", "type", "payload", "device_id", "author", "recorded_at"]
# Event-shaped junk: the right keys (some), with wrong values or wrong keys beside them.
SHAPED = st.builds(lambda base, junk: {**base, **junk},
                   st.dictionaries(st.sampled_from(FIELDS), JUNK, max_size=6),
                   st.dictionaries(st.text(max_size=8), JUNK, max_size=2))


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(junk=st.lists(st.one_of(JUNK, SHAPED), min_size=1, max_size=6), data=st.data())
def test_no_push_answers_5xx_and_good_events_are_accepted_beside_any_junk(
        api, engine, junk: list[Any], data: st.DataObject) -> None:
    coordinator = api.as_("coordinator")
    device = Device()
    good = [device.event("PersonStayed", person_id=f"p{n}") for n in range(len(junk))]
    positions = data.draw(st.permutations(range(2 * len(junk))))
    mixed = [x for _, x in sorted(zip(positions, good + junk, strict=True))]
    before = len(kept_rejects(engine))
    receipts = push_events(coordinator, mixed)
    assert len(receipts) == len(mixed)
    for event, position in zip(good, positions, strict=False):
        receipt = receipts[position]
        assert receipt == {"id": event["id"], "status": "accepted", "seq": receipt["seq"],
                           "reason": None}
    assert {r["status"] for r in receipts} <= {"accepted", "rejected"}
    kept = kept_rejects(engine)
    assert len(kept) - before == sum(r["status"] == "rejected" for r in receipts)
    assert_stored_safely(kept)


def test_a_client_hanging_up_mid_body_is_not_an_unexpected_error(api, caplog) -> None:
    token = api.as_("registrar").headers["Authorization"].encode()
    arriving = [{"type": "http.request", "body": b'{"events": [{"id": ', "more_body": True},
                {"type": "http.disconnect"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return arriving.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": "/api/sync/push",
             "raw_path": b"/api/sync/push", "query_string": b"", "root_path": "",
             "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000),
             "headers": [(b"authorization", token), (b"content-type", b"application/json"),
                         (b"content-length", b"4096")]}
    # In a thread of its own: a browser test may have left this one an event loop.
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, api.app(scope, receive, send)).result()
    assert not arriving  # the body was being read when the client went
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 400
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
