// One signal for "something the screens show has changed": a pull applied, an
// event recorded or its state changed. Screens re-render on it (ctx.onChange).
// Changes are gathered and told once per frame, with what changed merged: a burst
// of records (a queue boarding, a re-send of thousands) redraws once, not each time.

const listeners = new Set();
let pending = null;

export function onChange(callback) {
  listeners.add(callback);
  return () => listeners.delete(callback);
}

function tell() {
  const what = pending;
  pending = null;
  for (const callback of [...listeners]) {
    try {
      callback(what);
    } catch (error) {
      console.error("a change listener failed", error);
    }
  }
}

export function changed(what = {}) {
  if (pending) {
    Object.assign(pending, what);
    return;
  }
  pending = { ...what };
  requestAnimationFrame(tell);
}
