// The check-in page. Online, every scan goes to POST /api/v1/checkin. Without network it keeps working:
// a badge's Ed25519 signature is verified here with the edition's public key, the cached revocation list
// refuses revoked codes, the names fetched at load say whom it belongs to, the answer shows at once, and the
// check-in waits in this browser until the network is back (the server then resolves duplicates; a
// replayed nonce counts once). Everything offline work needs is fetched when the page loads (the barcode
// reader's WebAssembly included), and a service worker keeps the page for a reload without network.
// A phone that is signed out, or a request the server refuses, is never shown as a badge's verdict.
import { verifyAsync } from "/static/vendor/noble-ed25519.js";

const root = document.getElementById("checkin");
const editionId = Number(root.dataset.edition);
const publicKey = bytesOf(atob(root.dataset.publicKey));
const text = (name) => root.dataset["t" + name.replace(/(^|_)(\w)/g, (_, __, c) => c.toUpperCase())] || name;
// Reasons and categories come as codes (from the API, or found here offline): shown in the page's language.
const labels = JSON.parse(document.getElementById("checkin-labels")?.textContent || "{}");
const label = (kind, code) => (code ? labels[kind]?.[code] || code.replace(/_/g, " ") : "");
// Indexes of the signed format (ascc/badges/signing.py): append only.
const CATEGORIES = ["city_official", "company", "international", "academia", "ngo", "press", "speaker", "organizer_staff"];
const MODES = ["in_person", "online"];
const TYPED = /^[A-Za-z0-9]{4}-?[A-Za-z0-9]{4}$/;
const REPEAT_MS = 5000; // the camera sees the same badge many times a second: count it once
const QUEUE_KEY = `ascc-checkin-queue-${editionId}`;
const REVOKED_KEY = `ascc-checkin-revoked-${editionId}`;
const SEEN_KEY = `ascc-checkin-seen-${editionId}`;
const CLOCK_KEY = `ascc-checkin-clock-${editionId}`;
const ROSTER_MS = 10 * 60 * 1000; // names of new badges arrive within ten minutes

const deviceId = localStorage.getItem("ascc-checkin-device") || `web-${crypto.randomUUID().slice(0, 13)}`;
localStorage.setItem("ascc-checkin-device", deviceId);
// The server's clock, carried forward from the page load: a phone whose clock is wrong (or a demo running at
// ASCC_NOW) still judges badge validity and stamps scans the way the server would. A copy of the page kept by
// the service worker (reloaded offline) carries an old stamp: the offset of the last fresh load is used.
const clockOffset = root.dataset.fromCache
  ? (load(CLOCK_KEY, null) ?? { offset: 0 }).offset
  : Number(root.dataset.serverNow) - Date.now();
if (!root.dataset.fromCache) localStorage.setItem(CLOCK_KEY, JSON.stringify({ offset: clockOffset }));
const now = () => Date.now() + clockOffset;
const csrf = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["x-csrftoken"] || "";

function bytesOf(binary) {
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function base64url(bytes) {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function load(key, fallback) {
  try {
    return JSON.parse(localStorage.getItem(key)) ?? fallback;
  } catch {
    return fallback;
  }
}

// --- places ------------------------------------------------------------------------------------------

const placeType = document.getElementById("place-type");
const placeSelects = [...document.querySelectorAll("select[name=place_id]")];

function showPlaceSelect() {
  for (const select of placeSelects) select.hidden = select.dataset.kind !== placeType.value;
}
placeType.addEventListener("change", showPlaceSelect);
showPlaceSelect();

function place() {
  const select = placeSelects.find((s) => s.dataset.kind === placeType.value);
  const id = select && select.value ? Number(select.value) : null;
  return { place_type: placeType.value, place_id: id };
}

// The entrance counts once a day, in the edition's time zone as on the server.
const editionDay = new Intl.DateTimeFormat("en-CA", { timeZone: root.dataset.timezone || "UTC" });
// Times are conference time too, written as every page writes them ("14:05"), whatever the phone's zone.
const editionTime = new Intl.DateTimeFormat(root.dataset.lang === "ja" ? "ja-JP" : "en-GB", {
  timeZone: root.dataset.timezone || "UTC",
  hour: "2-digit",
  minute: "2-digit",
  hourCycle: "h23",
});
const timeOf = (iso) => editionTime.format(new Date(iso));

function placeKey(p) {
  return p.place_type === "entrance" ? `entrance:${editionDay.format(new Date(now()))}` : `${p.place_type}:${p.place_id}`;
}

// --- the answer --------------------------------------------------------------------------------------

const answer = document.getElementById("answer");

const signInAgain = document.getElementById("sign-in-again");

// Verdicts on a badge: ok, duplicate, revoked, invalid, not_booked. Not verdicts, and never red: pending,
// unverified (a typed code offline), signed_out (this phone), problem (the page or the request).
function show(result, person, detail) {
  answer.className = `answer answer-${result.replace("_", "-")}`;
  answer.dataset.result = result;
  answer.querySelector(".answer-word").textContent = text(`result_${result}`);
  answer.querySelector(".answer-person").textContent = person || "";
  answer.querySelector(".answer-detail").textContent = detail || "";
  signInAgain.hidden = result !== "signed_out";
}

function nameOf(r) {
  return r ? [r.name_latin, r.name_local, r.organization].filter(Boolean).join(" · ") : "";
}

function describe(data) {
  const r = data.registration;
  const person = nameOf(r);
  const details = [];
  if (r) details.push(label("category", r.category));
  if (data.result === "duplicate" && data.checked_in_at) {
    const where = root.dataset.lang === "ja" ? data.place_ja || data.place : data.place;
    details.push(`${text("first")} ${timeOf(data.checked_in_at)} · ${where}`);
  }
  if (data.reason) details.push(label("reason", data.reason));
  if (data.clock_flagged) details.push(text("flagged"));
  return [person, details.join(" · ")];
}

// --- offline verification ----------------------------------------------------------------------------

function decode(code) {
  let raw;
  try {
    raw = bytesOf(atob(code.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((code.length + 3) % 4)));
  } catch {
    return null;
  }
  if (raw.length !== 85 || raw[0] !== 1) return null;
  const view = new DataView(raw.buffer);
  return {
    data: raw.slice(0, 21),
    signature: raw.slice(21),
    edition: view.getUint16(1),
    category: CATEGORIES[raw[3]],
    mode: MODES[raw[4]],
    nonce: base64url(raw.slice(5, 13)),
    validFrom: view.getUint32(13) * 1000,
    validUntil: view.getUint32(17) * 1000,
  };
}

// Whom each badge in force names (nonce -> name, organization, category), fetched at load for check-in staff:
// kept in this page's memory only, never stored on the phone.
let roster = new Map();

async function refreshRoster() {
  try {
    const response = await fetch("/api/v1/checkin/roster", { credentials: "same-origin" });
    if (response.ok) {
      roster = new Map(Object.entries((await response.json()).people));
      root.dataset.roster = String(roster.size);
    } else if (response.status === 401) {
      setSignedOut(true);
    }
  } catch {
    /* offline: the names loaded earlier stay */
  }
}

async function verifyHere(code, where) {
  if (TYPED.test(code)) return { result: "unverified" }; // a short code proves nothing without the server
  const badge = decode(code);
  if (!badge || !badge.category) return { result: "invalid", reason: "malformed" };
  let genuine = false;
  try {
    genuine = await verifyAsync(badge.signature, badge.data, publicKey);
  } catch {
    genuine = false;
  }
  if (!genuine) return { result: "invalid", reason: "signature" };
  if (badge.edition !== editionId) return { result: "invalid", reason: "other_edition" };
  const moment = now();
  if (moment < badge.validFrom) return { result: "invalid", reason: "not_yet_valid" };
  if (moment > badge.validUntil) return { result: "invalid", reason: "expired" };
  const person = roster.get(badge.nonce) || null;
  if (load(REVOKED_KEY, { revoked: [] }).revoked.includes(badge.nonce)) return { result: "revoked", person };
  if (where.place_type === "entrance" && badge.mode !== "in_person") {
    return { result: "not_booked", reason: "online_registration", category: badge.category, person };
  }
  const seen = load(SEEN_KEY, {});
  const key = `${badge.nonce}|${placeKey(where)}`;
  if (seen[key]) return { result: "duplicate", checked_in_at: seen[key], category: badge.category, person };
  seen[key] = new Date(now()).toISOString();
  localStorage.setItem(SEEN_KEY, JSON.stringify(seen));
  return { result: "ok", category: badge.category, mode: badge.mode, person };
}

// --- sending and the queue ---------------------------------------------------------------------------

const net = document.getElementById("net");
const queuedCount = document.querySelector("[data-testid=queued]");
const signedOutLine = document.querySelector("[data-testid=signed-out]");
let online = navigator.onLine;

function setOnline(value) {
  online = value;
  net.textContent = value ? text("online") : text("offline");
  net.classList.toggle("net-offline", !value);
  root.dataset.online = value ? "yes" : "no";
}

// This phone's session ended (signed out here, everywhere, or it expired): said on the page until a request
// gets through again. Scans wait in the queue meanwhile.
function setSignedOut(value) {
  signedOutLine.hidden = !value;
  root.dataset.session = value ? "signed-out" : "signed-in";
}

function queue() {
  return load(QUEUE_KEY, []);
}

function saveQueue(items) {
  localStorage.setItem(QUEUE_KEY, JSON.stringify(items));
  queuedCount.textContent = String(items.length);
}

async function post(scan) {
  const response = await fetch("/api/v1/checkin", {
    method: "POST",
    headers: { "content-type": "application/json", "x-csrftoken": csrf },
    body: JSON.stringify(scan),
    credentials: "same-origin",
  });
  if (response.status >= 500) throw new TypeError(`server answered ${response.status}`);
  return response;
}

let syncing = false;
async function sync() {
  if (syncing) return;
  syncing = true;
  try {
    let items = queue();
    while (items.length) {
      let response;
      try {
        response = await post(items[0]);
      } catch {
        setOnline(false);
        return;
      }
      setOnline(true);
      if (response.status === 401 || response.status === 403) {
        setSignedOut(response.status === 401); // the queue waits for the next sign-in
        return;
      }
      setSignedOut(false);
      items = queue().filter((item) => item.nonce !== items[0].nonce); // answered (a 4xx is final too)
      saveQueue(items);
    }
    await refreshRevoked();
  } finally {
    syncing = false;
  }
}

async function refreshRevoked() {
  try {
    const response = await fetch("/api/v1/badges/revoked", { credentials: "same-origin" });
    if (response.ok) {
      localStorage.setItem(REVOKED_KEY, JSON.stringify(await response.json()));
      setOnline(true);
      setSignedOut(false);
    } else if (response.status === 401) {
      setSignedOut(true);
    }
  } catch {
    setOnline(false);
  }
}

async function detailOf(response) {
  const data = await response.json().catch(() => ({}));
  return data.detail || data.message || data.error || `${response.status} ${response.statusText}`;
}

async function handle(raw) {
  const code = raw.trim();
  if (!code) return;
  const where = place();
  const scan = {
    code,
    ...where,
    scanned_at: new Date(now()).toISOString(),
    device_id: deviceId,
    nonce: crypto.randomUUID().replace(/-/g, ""),
  };
  show("pending", "", "");
  if (online) {
    try {
      const response = await post(scan);
      setOnline(true);
      if (response.ok) {
        setSignedOut(false);
        const data = await response.json();
        const [person, detail] = describe(data);
        show(data.result, person, detail);
      } else if (response.status === 401) {
        // Not the badge's fault: keep the scan for after the next sign-in, and say what to do.
        saveQueue([...queue(), scan]);
        setSignedOut(true);
        show("signed_out", "", text("signed_out"));
      } else if (response.status === 403) {
        saveQueue([...queue(), scan]);
        show("problem", "", `${text("not_allowed")} (${await detailOf(response)})`);
      } else {
        show("problem", "", await detailOf(response)); // e.g. no place chosen: fix it and scan again
      }
      return;
    } catch {
      setOnline(false); // no network: answer here and send later
    }
  }
  const local = await verifyHere(code, where);
  if (local.result === "ok" || local.result === "duplicate" || local.result === "unverified") {
    saveQueue([...queue(), { ...scan, offline: true }]);
  }
  if (local.result === "unverified") {
    show("unverified", "", text("unverified_typed"));
    return;
  }
  const detail = [text("verified_offline"), label("category", local.category), label("reason", local.reason)];
  if (!local.person && local.category) detail.push(text("name_not_here"));
  if (local.result === "duplicate") detail.push(`${text("first")} ${timeOf(local.checked_in_at)}`);
  show(local.result, nameOf(local.person), detail.filter(Boolean).join(" · "));
}

// --- typed code, name search, camera -----------------------------------------------------------------

document.getElementById("code-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = document.getElementById("code");
  handle(input.value);
  input.value = "";
  input.focus();
});

document.getElementById("search-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const list = document.getElementById("search-results");
  list.replaceChildren();
  const q = document.getElementById("search").value.trim();
  if (q.length < 2) return;
  try {
    const response = await fetch(`/api/v1/checkin/search?q=${encodeURIComponent(q)}`, { credentials: "same-origin" });
    if (!response.ok) {
      if (response.status === 401) setSignedOut(true);
      return;
    }
    for (const person of await response.json()) {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "button secondary small";
      button.textContent = [person.name_latin, person.name_local, person.organization, person.badge_code].filter(Boolean).join(" · ");
      button.addEventListener("click", () => handle(person.badge_code));
      item.append(button);
      list.append(item);
    }
  } catch {
    setOnline(false);
  }
});

document.getElementById("sync").addEventListener("click", sync);

const video = document.getElementById("camera");
const cameraButton = document.getElementById("camera-button");
let lastCode = "";
let lastAt = 0;

// The barcode reader (ZXing as WebAssembly) is fetched and compiled now, while the page has the network: a
// camera started after the network is gone still reads badges. A failed load is tried again on the button.
const zxing = window.BarcodeDetectionAPI;
function prepareReader() {
  return zxing.prepareZXingModule({
    overrides: { locateFile: (path, prefix) => (path.endsWith(".wasm") ? `/static/vendor/${path}` : prefix + path) },
    equalityFn: Object.is, // a new attempt, not the promise of a failed one
    fireImmediately: true,
  });
}
let reader = prepareReader();
reader.then(
  () => (root.dataset.reader = "ready"),
  () => (root.dataset.reader = "missing"),
);

cameraButton.addEventListener("click", async () => {
  try {
    await reader;
  } catch {
    reader = prepareReader();
    try {
      await reader;
      root.dataset.reader = "ready";
    } catch {
      show("problem", "", text("reader_missing"));
      return;
    }
  }
  let detector;
  try {
    detector = new zxing.BarcodeDetector({ formats: ["qr_code"] });
    video.srcObject = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
    video.hidden = false;
    cameraButton.hidden = true;
    await video.play();
  } catch {
    show("problem", "", text("camera_error"));
    return;
  }
  const tick = async () => {
    try {
      for (const found of await detector.detect(video)) {
        const at = Date.now();
        if (found.rawValue === lastCode && at - lastAt < REPEAT_MS) continue;
        lastCode = found.rawValue;
        lastAt = at;
        await handle(found.rawValue);
      }
    } catch {
      /* a frame that could not be read: try the next one */
    }
    setTimeout(tick, 200);
  };
  tick();
});

// Controls /checkin only: keeps this page and its files for a reload without network (static/js/checkin-sw.js).
// The copy is there once this worker is active; `navigator.serviceWorker.ready` could answer with the site's
// worker (static/js/sw.js, scope "/") before this one is even registered.
if ("serviceWorker" in navigator) {
  navigator.serviceWorker
    .register("/checkin/sw.js", { scope: "/checkin" })
    .then((registration) => {
      if (registration.active) return;
      const worker = registration.installing || registration.waiting;
      return new Promise((resolve) => worker.addEventListener("statechange", () => worker.state === "activated" && resolve()));
    })
    .then(() => (root.dataset.offlineCopy = "ready"))
    .catch(() => {});
}

window.addEventListener("online", () => {
  setOnline(true);
  sync();
});
window.addEventListener("offline", () => setOnline(false));
setOnline(navigator.onLine);
saveQueue(queue());
refreshRevoked();
refreshRoster();
sync(); // scans kept while this phone was signed out or offline go as soon as it can send them
setInterval(sync, 10000);
setInterval(refreshRoster, ROSTER_MS);
