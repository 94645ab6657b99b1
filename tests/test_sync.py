"""Pushing and pulling events as field devices do: retries, conflicts, hostile input."""

from __future__ import annotations

import copy

from events_factory import Device, household, setup_events
from operation_setup import ok
from sqlalchemy import func, select

from corridor.domain.vocabulary import Role
from corridor.services.ledger import Ledger, Principal
from corridor.storage.database import initialise
from corridor.storage.schema import events, ledger_meta, persons, rejects


def push(client, batch):
    return ok(client.post("/api/sync/push", json={"events": batch}))


def count(engine, table) -> int:
    Ledger(engine).ensure_projected()  # as every API read does first
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_the_same_batch_again_is_acknowledged_as_duplicates_changing_nothing(api, engine) -> None:
    coordinator = api.as_("coordinator")
    device = Device()
    batch = setup_events(device) + [household(device, "h1", 4), household(device, "h2", 2)]
    first = push(coordinator, batch)
    assert [r["status"] for r in first["receipts"]] == ["accepted"] * len(batch)
    assert [r["seq"] for r in first["receipts"]] == list(range(1, len(batch) + 1))
    before = (count(engine, events), count(engine, persons))

    again = push(coordinator, batch)
    assert [r["status"] for r in again["receipts"]] == ["duplicate"] * len(batch)
    assert [r["seq"] for r in again["receipts"]] == [r["seq"] for r in first["receipts"]]
    assert (count(engine, events), count(engine, persons)) == before == (len(batch), 6)
    assert again["epoch"] == first["epoch"] and again["head_seq"] == len(batch)


def test_different_content_under_a_known_id_is_rejected_and_kept(api, engine) -> None:
    coordinator = api.as_("coordinator")
    device = Device()
    original = household(device, "h1", 3)
    push(coordinator, setup_events(device) + [original])
    altered = copy.deepcopy(original)
    altered["payload"]["members"][0]["given_name"] = "Someone else"
    receipt = push(coordinator, [altered])["receipts"][0]
    assert receipt["status"] == "rejected"
    assert receipt["id"] == original["id"] and "different content" in receipt["reason"]
    Ledger(engine).ensure_projected()
    with engine.connect() as conn:
        kept = conn.execute(select(rejects)).one()
        name = conn.execute(select(persons.c.given_name).where(persons.c.person_id == "h1-0"))
        assert name.scalar_one() == "محمد 0"
    assert kept.event_id == original["id"] and "Someone else" in kept.body


def test_rejects_are_kept_up_to_a_cap_per_account_and_device_and_the_rest_counted(
        api, engine, monkeypatch) -> None:
    monkeypatch.setenv("CORRIDOR_MAX_REJECTS", "3")
    ledger = Ledger(engine)
    assert ledger.max_rejects == 3
    phone, tablet = Principal("registrar", Role.REGISTRAR, "phone-1"), Principal(
        "registrar", Role.REGISTRAR, "tablet-2")
    garbage = [{"id": f"not-a-uuid-{n}", "type": "Nonsense"} for n in range(5)]
    receipts = ledger.push(garbage, phone).receipts
    assert [r.status for r in receipts] == ["rejected"] * 5  # refused all the same
    ledger.push(garbage[:2], phone)
    ledger.push(garbage[:2], tablet)  # another device of the same account has its own
    with engine.connect() as conn:
        kept = conn.execute(select(rejects.c.device_id, rejects.c.event_id, rejects.c.body)
                            .order_by(rejects.c.id)).all()
    assert [row.device_id for row in kept] == ["phone-1"] * 3 + ["tablet-2"] * 2
    assert '"not-a-uuid-0"' in kept[0].body and '"not-a-uuid-2"' in kept[2].body
    shown = ok(api.as_("coordinator").get("/api/rejects/not-kept"))
    assert [(r["pushed_by"], r["device_id"], r["count"]) for r in shown] == [
        ("registrar", "phone-1", 4)]
    assert api.as_("registrar").get("/api/rejects/not-kept").status_code == 403


def test_malformed_and_hostile_events_are_rejected_with_reasons_and_kept(api, engine) -> None:
    coordinator, registrar = api.as_("coordinator"), api.as_("registrar")
    device = Device()
    push(coordinator, setup_events(device))
    good = household(device, "h1", 2)
    nul = household(device, "h2", 1)
    nul["payload"]["members"][0]["given_name"] = "A\x00B"
    bad_type = device.event("DropTable", table="events")
    no_clock = {**household(device, "h3", 1), "recorded_at": "yesterday"}
    naive_clock = {**household(device, "h4", 1), "recorded_at": "2016-12-15T10:00:00"}
    bad_id = {**household(device, "h5", 1), "id": "../../etc/passwd"}
    extra = household(device, "h6", 1)
    extra["payload"]["members"][0]["religion"] = "recorded nowhere"
    not_a_dict = ["just", "a", "list"]
    huge_name = household(device, "h7", 1)
    huge_name["payload"]["members"][0]["given_name"] = "x" * 10_000
    batch = [good, nul, bad_type, no_clock, naive_clock, bad_id, extra, not_a_dict, huge_name]
    receipts = push(registrar, batch)["receipts"]
    assert [r["status"] for r in receipts] == ["accepted"] + ["rejected"] * 8
    reasons = [r["reason"] for r in receipts[1:]]
    assert "given_name" in reasons[0] and "control characters" in reasons[0]
    assert reasons[1].startswith("type:")
    assert reasons[2].startswith("recorded_at") and reasons[3].startswith("recorded_at")
    assert reasons[4].startswith("id")
    assert "religion" in reasons[5]
    assert reasons[7].startswith("payload.members.0.given_name")
    assert count(engine, rejects) == 8 and count(engine, persons) == 2

    # A registrar may not record convoy movements, even from a device.
    departed = push(registrar, [device.event("ConvoyDeparted", convoy_id="c1")])
    assert departed["receipts"][0]["status"] == "rejected"
    assert "registrar role may not record ConvoyDeparted" in departed["receipts"][0]["reason"]


def test_oversized_batches_and_bodies_are_refused_as_problems(api, engine) -> None:
    coordinator = api.as_("coordinator")
    device = Device()
    too_many = [device.event("OperationOpened", name="x")] * 1001
    response = coordinator.post("/api/sync/push", json={"events": too_many})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["field"] == "events"
    huge = coordinator.post("/api/sync/push", content=b"{" + b" " * (9 * 1024 * 1024) + b"}",
                            headers={"content-type": "application/json"})
    assert huge.status_code == 413 and huge.json()["field"] == "body"
    garbage = coordinator.post("/api/sync/push", content=b"{not json",
                               headers={"content-type": "application/json"})
    assert garbage.status_code == 422
    assert count(engine, events) == 0


def test_partners_and_tracing_officers_cannot_sync(api) -> None:
    for role in ("partner", "tracing_officer"):
        client = api.as_(role)
        assert client.get("/api/sync/pull").status_code == 403
        assert client.post("/api/sync/push", json={"events": []}).status_code == 403
    anonymous = api.as_("partner").__class__(api.app)
    assert anonymous.get("/api/sync/pull").status_code == 401


def test_pull_returns_events_after_a_sequence_in_order(api) -> None:
    coordinator, admin = api.as_("coordinator"), api.as_("admin")
    device = Device()
    batch = setup_events(device) + [household(device, f"h{n}", 1) for n in range(5)]
    push(coordinator, batch)
    page = ok(admin.get("/api/sync/pull", params={"since": 3, "limit": 4}))
    assert [e["seq"] for e in page["events"]] == [4, 5, 6, 7]
    assert page["head_seq"] == len(batch)
    assert [e["id"] for e in page["events"]] == [e["id"] for e in batch[3:7]]
    stored = page["events"][0]["payload"]  # normalised: defaults filled in
    assert {k: stored[k] for k in batch[3]["payload"]} == batch[3]["payload"]


def test_a_recreated_database_has_a_new_epoch_and_a_resend_restores_everything(api, engine) -> None:
    coordinator = api.as_("coordinator")
    device = Device()
    held_on_device = setup_events(device) + [household(device, "h1", 3)]
    first = push(coordinator, held_on_device)
    # The server loses its ledger (re-created); the device learns it from the epoch.
    with engine.begin() as conn:
        for table in (events, ledger_meta):
            conn.execute(table.delete())
    initialise(engine)
    app_ledger = coordinator.app.state.corridor.ledger
    app_ledger.rebuild()
    assert count(engine, persons) == 0
    again = push(coordinator, held_on_device)
    assert again["epoch"] != first["epoch"]
    assert {r["status"] for r in again["receipts"]} == {"accepted"}
    assert count(engine, persons) == 3


def test_two_ledgers_on_one_database_share_one_chain(engine) -> None:
    """Two API workers: each catches up with what the other appended."""
    from corridor.domain.vocabulary import Role
    from corridor.services.ledger import Principal, verify

    first, second = Ledger(engine), Ledger(engine)
    who = Principal("coordinator", Role.COORDINATOR, "phone-1")
    device = Device()
    first.push(setup_events(device), who)
    second.push([household(device, "h1", 2)], who)
    first.push([device.event("PersonBoarded", person_id="h1-0", vehicle_id="bus1")], who)
    second.ensure_projected()
    with engine.connect() as conn:
        on_board = conn.execute(select(persons.c.status).where(persons.c.person_id == "h1-0"))
        assert on_board.scalar_one() == "on_vehicle"
    assert verify(engine).broken is None


def test_a_push_is_projected_before_anything_reads_it(api, engine) -> None:
    """Pushes only append; the next read through the API sees everything acknowledged."""
    coordinator = api.as_("coordinator")
    device = Device()
    push(coordinator, setup_events(device) + [household(device, "h1", 4)])
    with engine.connect() as conn:
        head, projected = conn.execute(select(ledger_meta.c.head_seq,
                                              ledger_meta.c.projected_seq)).one()
    assert projected < head  # nothing folded on the push path
    counts = ok(coordinator.get("/api/operation"))["counts"]
    assert counts["registered"] == 4
    with engine.connect() as conn:
        assert conn.execute(select(ledger_meta.c.projected_seq)).scalar_one() == head


def test_receipts_quote_ids_as_the_device_sent_them(api, engine) -> None:
    coordinator = api.as_("coordinator")
    device = Device()
    batch = setup_events(device)[:2]
    upper, bare = batch[0]["id"].upper(), batch[1]["id"].replace("-", "")
    sent = [{**batch[0], "id": upper}, {**batch[1], "id": bare}]
    first = push(coordinator, sent)["receipts"]
    assert [(r["id"], r["status"]) for r in first] == [(upper, "accepted"), (bare, "accepted")]
    # The ledger keeps the canonical form, so any spelling of the id is the same event.
    pulled = ok(api.as_("admin").get("/api/sync/pull"))["events"]
    assert [e["id"] for e in pulled] == [e["id"] for e in batch]
    again = push(coordinator, batch)["receipts"]
    assert [(r["id"], r["status"]) for r in again] == [(e["id"], "duplicate") for e in batch]
