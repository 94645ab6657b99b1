// The outbox: every event recorded on this phone, from the moment it is written until
// the server has acknowledged it and the retention window has passed.
//
// States: `pending` (on this phone), `sending` (in a push now; never stored, so an
// interrupted push leaves it pending), `accepted` / `duplicate` (a receipt quoted its
// id: acknowledged in that epoch), `rejected` (with the reason, until fixed or
// discarded by the user). An acknowledged event is kept, encrypted, for the retention
// window (default 7 days): if the server's epoch changes (a restore) every kept event
// not acknowledged in the new epoch is sent again.

import * as db from "./db.js";
import { open, seal } from "./crypto.js";
import { changed } from "./bus.js";

export const ACKNOWLEDGED = new Set(["accepted", "duplicate"]);
const DAY = 86_400_000;

let key = null;
let records = new Map();  // id → {…event, state, reason, epoch, seq, acked_at, n, body}
let last = 0;

function retentionDays() {
  return Number(localStorage.getItem("corridor.retention_days")) || 7;
}

// Decrypt every row with the data key (at unlock), in the order they were recorded.
export async function load(dataKey) {
  key = dataKey;
  const rows = await db.outboxRows();
  rows.sort((a, b) => a.n - b.n);
  const opened = await Promise.all(rows.map(async (row) => {
    const event = await open(key, row.body);
    const reason = row.why ? await open(key, row.why) : null;
    return { ...event, state: row.state, reason, epoch: row.epoch, seq: row.seq,
      acked_at: row.acked_at, n: row.n, body: row.body };
  }));
  records = new Map(opened.map((r) => [r.id, r]));
  last = rows.length ? rows[rows.length - 1].n : 0;
  await prune();
}

export function clear() {
  key = null;
  records = new Map();
}

// The stored row: ids, order, state and times in clear; the event and the reason
// sealed (the event once, when recorded).
async function row(record) {
  return { id: record.id, n: record.n, state: record.state === "sending" ? "pending" : record.state,
    at: record.recorded_at, epoch: record.epoch ?? null, seq: record.seq ?? null,
    acked_at: record.acked_at ?? null, body: record.body,
    why: record.reason ? await seal(key, record.reason) : null };
}

function strip(event) {
  const { id, type, payload, device_id: deviceId, author, recorded_at: recordedAt } = event;
  return { id, type, payload, device_id: deviceId, author, recorded_at: recordedAt };
}

// A strictly increasing number for the recording order, which a push keeps (a
// household is registered before it boards) whatever the clock does.
function next() {
  last = Math.max(last + 1, Date.now() * 1000);
  return last;
}

// Write one event durably (the transaction complete) and only then hold it; with
// `replaces`, the rejected event it fixes is discarded in the same transaction.
export async function add(event, replaces = null) {
  if (!key) throw new Error("locked");
  const record = { ...strip(event), state: "pending", reason: null, n: next(),
    body: await seal(key, strip(event)) };
  const remove = replaces && records.has(replaces) ? [replaces] : [];
  await db.writeOutbox([await row(record)], remove);
  for (const id of remove) records.delete(id);
  records.set(record.id, record);
  changed({ outbox: true });
  return strip(record);
}

export async function discard(id) {
  await db.writeOutbox([], [id]);
  records.delete(id);
  changed({ outbox: true });
}

export function all() {
  return [...records.values()];
}

export function plain(record) {
  return strip(record);
}

export function get(id) {
  return records.get(id) || null;
}

// What a push must carry: pending events, and acknowledged ones the current epoch has
// not acknowledged (after a restore). Rejected ones wait for the user.
export function toSend(epoch) {
  return all().filter((r) => r.state === "pending" || r.state === "sending"
    || (ACKNOWLEDGED.has(r.state) && r.epoch !== epoch));
}

export function markSending(batch) {
  for (const r of batch) r.state = "sending";
  changed({ outbox: true });
}

// The push's receipts, one per event in order: by id, or by position for an id the
// server could not quote. Stored in one transaction, with any meta given.
export async function applyReceipts(batch, receipts, epoch, meta = {}) {
  const now = Date.now();
  const touched = [];
  receipts.forEach((receipt, i) => {
    const record = (receipt.id && records.get(receipt.id)) || batch[i];
    if (!record) return;
    record.state = receipt.status;
    record.reason = receipt.status === "rejected" ? receipt.reason : null;
    record.epoch = ACKNOWLEDGED.has(receipt.status) ? epoch : null;
    record.seq = receipt.seq ?? null;
    record.acked_at = ACKNOWLEDGED.has(receipt.status) ? now : null;
    touched.push(record);
  });
  await db.writeOutbox(await Promise.all(touched.map(row)), [], meta);
  changed({ outbox: true });
}

// A push that failed: its events are pending again.
export function unsend(batch) {
  for (const r of batch) if (r.state === "sending") r.state = "pending";
  changed({ outbox: true });
}

// Acknowledged events past the retention window leave the phone.
export async function prune(now = Date.now()) {
  const limit = now - retentionDays() * DAY;
  const old = all().filter((r) => ACKNOWLEDGED.has(r.state) && r.acked_at < limit);
  if (!old.length) return;
  await db.writeOutbox([], old.map((r) => r.id));
  for (const r of old) records.delete(r.id);
}

// Counts for the status bar, from the clear columns only, so the lock screen can
// show them without the key.
export async function counts(epoch) {
  const rows = key ? all().map((r) => ({ state: r.state, at: r.recorded_at, epoch: r.epoch }))
    : await db.outboxRows();
  const unsent = rows.filter((r) => !ACKNOWLEDGED.has(r.state) || r.epoch !== epoch);
  const oldest = unsent.reduce((min, r) => (min === null || r.at < min ? r.at : min), null);
  const newest = rows.reduce((max, r) => (max === null || r.at > max ? r.at : max), null);
  return { unsent: unsent.length, rejected: rows.filter((r) => r.state === "rejected").length,
    oldest, newest, total: rows.length };
}
