// Sync with the server while the phone is unlocked: push the outbox in batches and
// apply the receipts, pull the post's scope by cursor, refresh the locations, and
// report this store's figures (the lost-store alarm). On the `online` event, every
// 30 s and on "Send now" — never the Background Sync API, which WebView, Firefox and
// Safari lack; the phone sends when the app is open, and says what it holds.

import * as db from "./db.js";
import * as data from "./data.js";
import * as outbox from "./outbox.js";
import { changed } from "./bus.js";
import { mark } from "./marker.js";
import { raise } from "./alarm.js";
import { saveData, session, unlocked } from "./session.js";

const BATCH = 500;  // receipts for 500 events come back in well under a second
const EVERY_MS = 30_000;
const FIELD_ROLES = new Set(["registrar", "checkpoint_monitor", "reception"]);

export class HttpError extends Error {
  constructor(status, problem) {
    super(problem?.detail || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

// What the status bar shows; `error` is null or a key of the shell's strings.
export const status = { syncing: false, error: null, epoch: null, confirmed: null };

let running = null;
let timer = null;

export async function api(path, { method = "GET", body, token = session.token } = {}) {
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { method, headers, cache: "no-store",
    body: body === undefined ? undefined : JSON.stringify(body) });
  const answer = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) throw new HttpError(response.status, answer);
  return answer;
}

export async function watermark() {
  return (await db.getMeta("sync")) || { epoch: null, cursor: null, confirmed: null };
}

// The outbox's counts against the epoch the phone last heard of.
export async function held() {
  return outbox.counts((await watermark()).epoch);
}

function remember(sync) {
  Object.assign(status, { epoch: sync.epoch, confirmed: sync.confirmed });
}

// One sync at a time; a call while one runs waits for it.
export function syncNow() {
  if (!running) running = run().finally(() => { running = null; });
  return running;
}

async function run() {
  if (!unlocked()) return;
  status.syncing = true;
  changed({ sync: true });
  try {
    status.error = await exchange();
    // Reported even when the push failed: a phone that cannot deliver is what the
    // lost-store alarm must know about.
    if (unlocked()) await report().catch((error) => console.info("no device report", error));
  } finally {
    status.syncing = false;
    changed({ sync: true });
  }
}

// Push, pull and the locations; what went wrong (a key of the shell's strings) or null.
async function exchange() {
  try {
    const sync = await watermark();
    remember(sync);
    await push(sync);
    await outbox.prune();
    if (FIELD_ROLES.has(session.me.role)) {
      if (await pull(sync)) {  // a new epoch seen on the pull: re-send, then pull it whole
        await push(sync);
        await pull(sync);
      }
      await locations(sync);
    }
    return null;
  } catch (error) {
    if (error instanceof Locked) return status.error;
    if (error instanceof HttpError) return error.status === 401 ? "sync.unauthorised" : "sync.server_error";
    console.info("sync failed", error);
    return "sync.offline";
  }
}

class Locked extends Error {}

// After every answer: a phone locked meanwhile keeps nothing of it in memory (the
// receipts are asked again next time, and come back as duplicates).
function stillOpen() {
  if (!unlocked()) throw new Locked("locked during the sync");
}

// Note the epoch an answer carries; a different one from the one held means the
// server was restored: every kept event goes again and the scope is pulled whole.
function seen(sync, epoch, serverTime) {
  const changedEpoch = sync.epoch !== null && sync.epoch !== epoch;
  if (changedEpoch) sync.cursor = null;
  sync.epoch = epoch;
  sync.confirmed = serverTime;
  remember(sync);
  return changedEpoch;
}

async function push(sync) {
  for (;;) {
    const batch = outbox.toSend(sync.epoch).slice(0, BATCH);
    if (!batch.length && sync.epoch !== null) return;
    outbox.markSending(batch);
    let answer;
    try {
      answer = await api("/api/sync/push", { method: "POST",
        body: { events: batch.map(outbox.plain) } });
    } finally {
      outbox.unsend(batch);  // an event a receipt did not settle is pending again
    }
    stillOpen();
    if (answer.receipts.length !== batch.length) throw new Error("receipts do not match the batch");
    seen(sync, answer.epoch, answer.server_time);
    await outbox.applyReceipts(batch, answer.receipts, answer.epoch, { sync });
    if (!batch.length) return;
  }
}

async function pull(sync) {
  const since = sync.cursor ? `?since=${encodeURIComponent(sync.cursor)}` : "";
  const answer = await api(`/api/sync/scope${since}`);
  stillOpen();
  const restored = seen(sync, answer.epoch, answer.server_time);
  if (restored) return true;
  data.apply(answer);
  sync.cursor = answer.cursor;
  await saveData({ sync });
  mark({ cursor: answer.cursor });
  changed({ data: true });
  return false;
}

async function locations(sync) {
  const held = await api("/api/locations");
  stillOpen();
  data.setLocations(held);
  await saveData({ sync });
  changed({ data: true });
}

// This store's figures for the server; its answer names earlier stores of this
// account that stopped reporting (the lost-store alarm), kept until dismissed.
async function report() {
  const store = await db.getMeta("store");
  const counts = await held();
  const answer = await api("/api/sync/device", { method: "POST", body: {
    device_id: session.me.device_id, store_id: store.store_id, unsent: counts.unsent,
    oldest_unsent_at: counts.oldest, newest_recorded_at: counts.newest } });
  if (answer.new && answer.earlier.length) {
    // Kept readable without the PIN: counts and times only (a device label may be a name).
    raise({ kind: "server", earlier: answer.earlier.map(
      ({ created_at: c, reported_at: r, unsent }) => ({ created_at: c, reported_at: r, unsent })) });
  }
}

export function start() {
  stop();
  timer = setInterval(syncNow, EVERY_MS);
  addEventListener("online", syncNow);
  syncNow();
}

export function stop() {
  clearInterval(timer);
  timer = null;
  removeEventListener("online", syncNow);
}
