// The field app's service worker, after a head the server writes (routes.py):
// VERSION, SHELL (the app's URL) and ASSETS (every static file, explicitly).
// Cache-first for the app's files, the shell for every navigation under SHELL, and
// nothing else: /api answers are never cached (they hold names; the app keeps what
// it needs encrypted in IndexedDB).

const CACHE = `corridor-field-${VERSION}`;

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // Fetched by version so no HTTP cache can give an older file; kept under the
    // plain URL the page asks for.
    await Promise.all([SHELL, ...ASSETS].map(async (url) => {
      const response = await fetch(`${url}?v=${VERSION}`, { cache: "reload" });
      if (!response.ok) throw new Error(`precache ${url}: ${response.status}`);
      await cache.put(url, response);
    }));
    // A new version takes over at once; the page says so and the next load uses it.
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((n) => n.startsWith("corridor-field-") && n !== CACHE)
      .map((n) => caches.delete(n)));
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && (url.pathname === SHELL || url.pathname.startsWith(`${SHELL}/`))) {
    event.respondWith(fromCache(SHELL, request));
  } else if (url.pathname.startsWith(`${SHELL}/static/`)) {
    event.respondWith(fromCache(url.pathname, request));
  }
  // Everything else (the API above all) goes to the network, uncached.
});

async function fromCache(key, request) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(key);
  return hit || fetch(request);
}

self.addEventListener("message", (event) => {
  if (event.data === "version") event.source.postMessage({ version: VERSION });
});
