// The phone's storage: whether the browser promised to keep it (persist), how much
// is used and free, and the floor below which no new registration is taken (a
// registration that could not be written would be lost at the worst moment).

const FLOOR_KEY = "corridor.floor_mb";
let last = { persisted: false, usage: 0, quota: 0, floorOk: true };

export function floorBytes() {
  return (Number(localStorage.getItem(FLOOR_KEY)) || 20) * 1024 * 1024;
}

export async function measure() {
  const persisted = navigator.storage?.persisted ? await navigator.storage.persisted() : false;
  if (!navigator.storage?.estimate) {  // a browser that cannot tell: nothing is refused
    last = { persisted, usage: 0, quota: 0, floorOk: true };
    return last;
  }
  const { usage = 0, quota = 0 } = await navigator.storage.estimate();
  last = { persisted, usage, quota, floorOk: quota - usage >= floorBytes() };
  return last;
}

// Ask once per store; the answer is shown in the settings.
export async function askPersist() {
  if (!navigator.storage?.persist) return false;
  return (await navigator.storage.persisted()) || navigator.storage.persist();
}

export function storage() {
  return { ...last };
}

export async function roomFor() {
  return (await measure()).floorOk;
}
