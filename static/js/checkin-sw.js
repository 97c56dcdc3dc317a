// The check-in page's offline copy (served at /checkin/sw.js, controlling /checkin only). The page, its
// scripts and styles and the barcode reader's WebAssembly are kept here, so a phone that reloads the page
// without network still checks badges. Network first: online, everything is as fresh as without this worker.
// The API is never kept here: check-ins, names and the revocation list are the page's own business.
const CACHE = "ascc-checkin-v1";
const PAGE = "/checkin";
const ASSETS = [
  "/static/css/app.css",
  "/static/vendor/htmx.min.js",
  "/static/js/app.js",
  "/static/vendor/barcode-detector.js",
  "/static/js/checkin.js",
  "/static/vendor/noble-ed25519.js",
  "/static/vendor/zxing_reader.wasm",
];

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      await cache.addAll(ASSETS);
      await keepPage(cache, await fetch(PAGE, { credentials: "same-origin", redirect: "manual" }).catch(() => null));
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && (url.pathname === PAGE || url.pathname === `${PAGE}/`)) {
    event.respondWith(page(request));
  } else if (url.pathname.startsWith("/static/")) {
    event.respondWith(asset(request));
  }
});

async function keepPage(cache, response) {
  // Only the page itself: a redirect to the sign-in page (signed out) is not a copy of it.
  if (response && response.ok && response.type === "basic" && !response.redirected) {
    await cache.put(PAGE, response.clone());
  }
}

async function page(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    await keepPage(cache, response);
    return response;
  } catch (error) {
    const kept = await cache.match(PAGE);
    if (!kept) throw error;
    // Marked, so that the page takes the server's clock from its last fresh load, not from this copy's stamp.
    const html = (await kept.text()).replace('data-server-now="', 'data-from-cache="yes" data-server-now="');
    const headers = new Headers(kept.headers);
    headers.delete("content-length");
    return new Response(html, { status: 200, headers });
  }
}

async function asset(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(request, response.clone());
    return response;
  } catch (error) {
    const kept = await cache.match(request, { ignoreSearch: true });
    if (!kept) throw error;
    return kept;
  }
}
