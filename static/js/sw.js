// The site's service worker (served at /sw.js, scope "/"; registered by static/js/app.js). It keeps the copy
// last seen of the signed-in person's own pages (my agenda, my badge and its image, my meetings), so that they
// open on a phone without network. Network first: online, every page is as fresh as without this worker; a
// copy is used only when the network fails, and then it says so ("Offline copy from …", written by the
// server when it made the page: the note is in the page, hidden, and shown here).
// Nothing else is kept: other pages, the API and htmx partials go to the network as they are. The copies are
// deleted when the person signs out (app.js and this worker both delete them), and when the server sends this
// phone to sign in (signed out elsewhere, session ended). The check-in page has its own worker
// (/checkin/sw.js): the longer scope wins there.
const CACHE = "ascc-personal-v1";
const PAGES = [/^\/my-agenda$/, /^\/badge$/, /^\/matching$/, /^\/matching\/meetings\/\d+$/];
// What those pages load: kept beside them (the badge's image is the person's own too).
const FILES = [/^\/static\//, /^\/programme\/tracks\.css$/, /^\/api\/v1\/me\/badge\.svg$/];
const OFFLINE_NOTE = "data-offline-note hidden";

self.addEventListener("install", (event) => event.waitUntil(self.skipWaiting()));

self.addEventListener("activate", (event) =>
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith("ascc-personal-") && name !== CACHE) await caches.delete(name); // an older version's
      }
      await self.clients.claim();
    })(),
  ),
);

// Signing out, everywhere, or deleting the account: the copies go while the request does (app.js too).
const FORGETTING = /^\/(logout|logout\/everywhere|account\/delete)$/;

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  const path = url.pathname.replace(/\/$/, "") || "/";
  if (request.method === "POST" && FORGETTING.test(path)) event.waitUntil(forget());
  if (request.method !== "GET") return;
  if (request.mode === "navigate" && PAGES.some((p) => p.test(path))) {
    event.respondWith(page(request, path));
  } else if (request.mode !== "navigate" && FILES.some((p) => p.test(path))) {
    event.respondWith(file(request, path));
  }
});

function forget() {
  return caches.delete(CACHE);
}

function usable(response) {
  // The page itself: not the sign-in page it redirects to when signed out, not an error page.
  return response.ok && response.type === "basic" && !response.redirected;
}

async function page(request, path) {
  let response;
  try {
    response = await fetch(request);
  } catch {
    return (await copyOf(path)) || Response.error();
  }
  if (usable(response)) {
    await (await caches.open(CACHE)).put(path, response.clone());
  } else if (response.type === "opaqueredirect" || response.status === 401 || response.redirected) {
    await forget(); // sent to sign in: whoever this phone's copies belonged to is no longer signed in here
  } else if (response.status >= 500) {
    return (await copyOf(path)) || response; // the server is away for a moment (503): the copy meanwhile
  }
  return response;
}

// The copy kept of a page, with its "Offline copy from …" note shown; null without one.
async function copyOf(path) {
  const kept = await (await caches.open(CACHE)).match(path);
  if (!kept) return null;
  const html = (await kept.text()).replace(OFFLINE_NOTE, "data-offline-note");
  const headers = new Headers(kept.headers);
  headers.delete("content-length");
  return new Response(html, { status: 200, headers });
}

async function file(request, path) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (usable(response)) await cache.put(path, response.clone());
    return response;
  } catch (error) {
    const kept = await cache.match(path);
    if (!kept) throw error;
    return kept;
  }
}
