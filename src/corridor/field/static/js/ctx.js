// What a screen gets (the contract in docs/field.md): translations, who is signed in,
// the pulled data, recording events and their states, navigation and a change signal.
// `await import('/field/static/js/ctx.js')` gives the running app's own instance.

import * as i18n from "./i18n.js";
import * as outbox from "./outbox.js";
import { conflictOf, data } from "./data.js";
import { changed, onChange } from "./bus.js";
import { session, unlocked } from "./session.js";
import { storage, roomFor } from "./storage.js";

// Which screen fixes a rejected event of each type: `#/<screen>/<sub>?fix=<id>`.
export const FIX_ROUTES = {
  HouseholdRegistered: "registrar/register", PersonRegistered: "registrar/register",
  TokenIssued: "registrar/token", PersonBoarded: "registrar/board",
  PersonStayed: "registrar/board",
  CheckpointPassed: "monitor/count", PersonRemoved: "monitor/remove",
  ConvoyHeld: "monitor/hold", ConvoyReleased: "monitor/hold",
  IncidentReported: "monitor/incident",
  VehicleArrived: "reception/arrival", PersonCheckedIn: "reception/checkin",
};

// Refused below the storage floor: a registration that could not be written is lost.
const REGISTRATIONS = new Set(["HouseholdRegistered", "PersonRegistered"]);

class Refused extends Error {}

export function localTime(date = new Date()) {
  // ISO 8601 with the phone's offset, as the ledger keeps the device's own clock.
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? "+" : "-";
  const pad = (n) => String(Math.floor(Math.abs(n))).padStart(2, "0");
  const local = new Date(date.getTime() + offset * 60000).toISOString().slice(0, 19);
  return `${local}${sign}${pad(offset / 60)}:${pad(offset % 60)}`;
}

async function record(type, payload, options = {}) {
  if (!unlocked()) throw new Refused(i18n.t("record.locked"));
  if (REGISTRATIONS.has(type) && !(await roomFor())) {
    throw new Refused(i18n.t("record.no_space"));
  }
  const event = { id: crypto.randomUUID(), type, payload, device_id: session.me.device_id,
    author: session.me.username, recorded_at: localTime() };
  return outbox.add(event, options.replaces || null);
}

function recordState(id) {
  const held = outbox.get(id);
  if (!held) return null;
  if (outbox.ACKNOWLEDGED.has(held.state) && conflictOf(id)) return "conflict";
  return held.state;
}

function events(filter = {}) {
  const wanted = typeof filter === "function" ? filter
    : (e) => Object.entries(filter).every(([k, v]) => e[k] === v);
  return outbox.all()
    .map((r) => ({ id: r.id, type: r.type, payload: r.payload, recorded_at: r.recorded_at,
      state: recordState(r.id), reason: r.reason ?? conflictOf(r.id)?.reason ?? null }))
    .filter(wanted);
}

function badge(id) {
  const state = recordState(id) || "pending";
  const element = document.createElement("span");
  element.className = `badge badge-${state}`;
  element.textContent = i18n.t(`state.${state}`);
  return element;
}

function go(hash) {
  location.hash = hash.startsWith("#") ? hash : `#${hash.startsWith("/") ? "" : "/"}${hash}`;
}

function fix(id) {
  const held = outbox.get(id);
  if (held && FIX_ROUTES[held.type]) go(`/${FIX_ROUTES[held.type]}?fix=${encodeURIComponent(id)}`);
}

export const ctx = {
  t: i18n.t,
  get lang() { return i18n.currentLang(); },
  async setLang(language) {
    await i18n.load(language);
    changed({ lang: true });
  },
  get me() {
    if (!session.me) return null;
    const { username, role, post_id: postId, post, device_id: deviceId } = session.me;
    return { username, role, post_id: postId, post_name: post?.name ?? null, device_id: deviceId };
  },
  data,
  record,
  events,
  recordState,
  badge,
  fix,
  go,
  onChange,
  storage,
  Refused,
};
