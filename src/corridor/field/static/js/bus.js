// One signal for "something the screens show has changed": a pull applied, an
// event recorded or its state changed. Screens re-render on it (ctx.onChange).

const listeners = new Set();

export function onChange(callback) {
  listeners.add(callback);
  return () => listeners.delete(callback);
}

export function changed(what = {}) {
  for (const callback of [...listeners]) {
    try {
      callback(what);
    } catch (error) {
      console.error("a change listener failed", error);
    }
  }
}
