// Who is signed in on this phone and whether it is unlocked. The bearer token and
// the account (a name) are sealed in the store; only the PIN opens them. Locking
// drops the data key and everything decrypted from memory.

import * as db from "./db.js";
import * as data from "./data.js";
import * as outbox from "./outbox.js";
import { newKeyring, open, seal, unwrap } from "./crypto.js";
import { changed } from "./bus.js";
import { mark, unmark } from "./marker.js";

export const MAX_ATTEMPTS = 10;

export const session = { key: null, token: null, me: null };

export function unlocked() {
  return session.key !== null;
}

// The store as the phone holds it: null when there is none (never set up, signed
// out, or lost: compare with the marker).
export async function stored() {
  if (!(await db.exists())) return null;
  const [keyring, store] = await Promise.all([db.getMeta("keyring"), db.getMeta("store")]);
  return store ? { keyring: keyring || null, ...store } : null;
}

// A new store for a signed-in account and its PIN: keyring, sealed session, marker.
export async function create(token, me, pin, iterations) {
  const { dataKey, stored: keyring } = await newKeyring(pin, iterations);
  const store = { store_id: crypto.randomUUID(), created: new Date().toISOString() };
  await db.putMeta("keyring", keyring);
  await db.putMeta("session", await seal(dataKey, { token, me }));
  await db.putMeta("attempts", 0);
  await db.putMeta("store", store);
  mark({ store_id: store.store_id, created: store.created, cursor: null, unsent: 0 });
  await opened(dataKey);
  return store;
}

async function opened(dataKey) {
  const sealed = await db.getMeta("session");
  const { token, me } = await open(dataKey, sealed);
  Object.assign(session, { key: dataKey, token, me });
  const saved = await db.getMeta("data");
  data.restore(saved ? await open(dataKey, saved) : null);
  await outbox.load(dataKey);
  changed({ session: true });
}

// Try a PIN. A wrong one is counted; after MAX_ATTEMPTS the wrapped key is wiped and
// the store can never be opened again (its events stay encrypted: sign in anew).
export async function unlock(pin) {
  const keyring = await db.getMeta("keyring");
  if (!keyring) return { ok: false, wiped: true };
  const dataKey = await unwrap(pin, keyring);
  if (!dataKey) {
    const attempts = ((await db.getMeta("attempts")) || 0) + 1;
    if (attempts >= MAX_ATTEMPTS) await forget();
    await db.putMeta("attempts", attempts);
    return { ok: false, left: Math.max(MAX_ATTEMPTS - attempts, 0), wiped: attempts >= MAX_ATTEMPTS };
  }
  await db.putMeta("attempts", 0);
  await opened(dataKey);
  return { ok: true };
}

// A new token for the same account and store (the old one expired or was revoked):
// nothing recorded here is lost, as it would be by signing out.
export async function renew(token, me) {
  Object.assign(session, { token, me });
  await db.putMeta("session", await seal(session.key, { token, me }));
  changed({ session: true });
}

// A forgotten PIN: the wrapped key goes, as after too many wrong PINs.
export async function forget() {
  await db.putMeta("keyring", null);
}

export function lock() {
  Object.assign(session, { key: null, token: null, me: null });
  data.clear();
  outbox.clear();
  changed({ session: true });
}

export async function attempts() {
  return (await db.getMeta("attempts")) || 0;
}

// The pulled data, sealed, after each applied pull.
export async function saveData(meta = {}) {
  const sealed = await seal(session.key, data.snapshot());
  await db.writeOutbox([], [], { data: sealed, ...meta });
}

// Sign out: the store and its marker go (the caller has warned about unsent events).
export async function destroy() {
  lock();
  await db.destroy();
  unmark();
}
