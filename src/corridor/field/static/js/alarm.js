// The lost-store alarm: this phone's store is gone although it existed (the marker in
// localStorage says so), or the server names earlier stores of this account that
// stopped reporting. Red when events may be lost (the store still held unsent ones),
// amber otherwise. Kept (no names: ids, counts and times) until the user dismisses it.

import { changed } from "./bus.js";

const KEY = "corridor.alarm";

export function current() {
  try {
    return JSON.parse(localStorage.getItem(KEY));
  } catch {
    return null;
  }
}

export function level(alarm) {
  const stores = alarm.kind === "server" ? alarm.earlier : [alarm];
  return stores.some((s) => s.unsent > 0) ? "red" : "amber";
}

export function raise(alarm) {
  localStorage.setItem(KEY, JSON.stringify({ ...alarm, raised_at: new Date().toISOString() }));
  changed({ alarm: true });
}

export function dismiss() {
  localStorage.removeItem(KEY);
  changed({ alarm: true });
}

// At start, before any sign-in: a marker without its store means the store was lost
// (site data cleared, the browser evicted it).
export function checkLocal(marker, store) {
  if (marker?.store_id && (!store || store.store_id !== marker.store_id)) {
    raise({ kind: "local", store_id: marker.store_id, created: marker.created,
      unsent: marker.unsent ?? null, cursor: marker.cursor ?? null });
    return true;
  }
  return false;
}
