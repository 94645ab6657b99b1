// The marker in localStorage that outlives a lost IndexedDB store: which store this
// phone had, since when, its last cursor and how many events it held unsent. Counts
// and ids only, no name: it is readable without the PIN.

const KEY = "corridor.store";

export function marker() {
  try {
    return JSON.parse(localStorage.getItem(KEY));
  } catch {
    return null;
  }
}

export function mark(update) {
  localStorage.setItem(KEY, JSON.stringify({ ...marker(), ...update }));
}

export function unmark() {
  localStorage.removeItem(KEY);
}
