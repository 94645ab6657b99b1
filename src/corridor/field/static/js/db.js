// The phone's store: one IndexedDB database (through the vendored idb). Two object
// stores: `meta` (the wrapped keyring, the store's id, the sync watermark, and
// sealed blobs: the session and the pulled data) and `outbox` (one row per event
// recorded here: its id, state and times in clear — they name no one — and the event
// itself sealed). A write resolves only once its transaction is complete.

import { deleteDB, openDB } from "../vendor/idb/index.js";

const NAME = "corridor-field";
const VERSION = 1;

// Every write completes only once on disk: Chromium's default ("relaxed") completes
// when the operating system has the data, which a power cut can still lose.
const STRICT = { durability: "strict" };
let db = null;

export async function exists() {
  const known = await indexedDB.databases();
  return known.some((d) => d.name === NAME);
}

export async function open() {
  if (!db) {
    db = await openDB(NAME, VERSION, {
      upgrade(database) {
        database.createObjectStore("meta");
        database.createObjectStore("outbox", { keyPath: "id" });
      },
      terminated() {
        db = null;  // the browser closed it (site data cleared): open anew next time
      },
    });
  }
  return db;
}

export async function getMeta(key) {
  return (await open()).get("meta", key);
}

export async function putMeta(key, value) {
  const tx = (await open()).transaction("meta", "readwrite", STRICT);
  tx.store.put(value, key);
  await tx.done;
}

export async function outboxRows() {
  return (await open()).getAll("outbox");
}

// Put and delete outbox rows, and optionally meta entries, in one transaction.
export async function writeOutbox(put = [], remove = [], meta = {}) {
  const tx = (await open()).transaction(["outbox", "meta"], "readwrite", STRICT);
  const outbox = tx.objectStore("outbox");
  for (const row of put) outbox.put(row);
  for (const id of remove) outbox.delete(id);
  for (const [key, value] of Object.entries(meta)) tx.objectStore("meta").put(value, key);
  await tx.done;
}

export async function destroy() {
  if (db) db.close();
  db = null;
  await deleteDB(NAME);
}
