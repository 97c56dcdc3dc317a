// The check-in page. Online, every scan goes to POST /api/v1/checkin. Without network it keeps working:
// a badge's Ed25519 signature is verified here with the edition's public key, the cached revocation list
// refuses revoked codes, the answer shows at once, and the check-in waits in this browser until the
// network is back (the server then resolves duplicates; a replayed nonce counts once).
import { verifyAsync } from "/static/vendor/noble-ed25519.js";

const root = document.getElementById("checkin");
const editionId = Number(root.dataset.edition);
const publicKey = bytesOf(atob(root.dataset.publicKey));
const text = (name) => root.dataset["t" + name.replace(/(^|_)(\w)/g, (_, __, c) => c.toUpperCase())] || name;
// Indexes of the signed format (ascc/badges/signing.py): append only.
const CATEGORIES = ["city_official", "company", "international", "academia", "ngo", "press", "speaker", "organizer_staff"];
const MODES = ["in_person", "online"];
const TYPED = /^[A-Za-z0-9]{4}-?[A-Za-z0-9]{4}$/;
const REPEAT_MS = 5000; // the camera sees the same badge many times a second: count it once
const QUEUE_KEY = `ascc-checkin-queue-${editionId}`;
const REVOKED_KEY = `ascc-checkin-revoked-${editionId}`;
const SEEN_KEY = `ascc-checkin-seen-${editionId}`;

const deviceId = localStorage.getItem("ascc-checkin-device") || `web-${crypto.randomUUID().slice(0, 13)}`;
localStorage.setItem("ascc-checkin-device", deviceId);
// The server's clock, carried forward from the page load: a phone whose clock is wrong (or a demo running at
// ASCC_NOW) still judges badge validity and stamps scans the way the server would.
const clockOffset = Number(root.dataset.serverNow) - Date.now();
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

function placeKey(p) {
  return p.place_type === "entrance" ? `entrance:${editionDay.format(new Date(now()))}` : `${p.place_type}:${p.place_id}`;
}

// --- the answer --------------------------------------------------------------------------------------

const answer = document.getElementById("answer");

function show(result, person, detail) {
  answer.className = `answer answer-${result.replace("_", "-")}`;
  answer.dataset.result = result;
  answer.querySelector(".answer-word").textContent = text(result === "not_booked" ? "not_booked" : result);
  answer.querySelector(".answer-person").textContent = person || "";
  answer.querySelector(".answer-detail").textContent = detail || "";
}

function describe(data) {
  const r = data.registration;
  const person = r ? [r.name_latin, r.name_local, r.organization].filter(Boolean).join(" · ") : "";
  const details = [];
  if (r) details.push(r.category.replace(/_/g, " "));
  if (data.result === "duplicate" && data.checked_in_at) {
    details.push(`${text("first")} ${new Date(data.checked_in_at).toLocaleTimeString()} · ${data.place}`);
  }
  if (data.reason) details.push(data.reason.replace(/_/g, " "));
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

async function verifyHere(code, where) {
  if (TYPED.test(code)) return { result: "queued", reason: "typed_code" }; // only the server knows short codes
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
  if (load(REVOKED_KEY, { revoked: [] }).revoked.includes(badge.nonce)) return { result: "revoked" };
  if (where.place_type === "entrance" && badge.mode !== "in_person") {
    return { result: "not_booked", reason: "online_registration", category: badge.category };
  }
  const seen = load(SEEN_KEY, {});
  const key = `${badge.nonce}|${placeKey(where)}`;
  if (seen[key]) return { result: "duplicate", checked_in_at: seen[key], category: badge.category };
  seen[key] = new Date(now()).toISOString();
  localStorage.setItem(SEEN_KEY, JSON.stringify(seen));
  return { result: "ok", category: badge.category, mode: badge.mode };
}

// --- sending and the queue ---------------------------------------------------------------------------

const net = document.getElementById("net");
const queuedCount = document.querySelector("[data-testid=queued]");
let online = navigator.onLine;

function setOnline(value) {
  online = value;
  net.textContent = value ? text("online") : text("offline");
  net.classList.toggle("net-offline", !value);
  root.dataset.online = value ? "yes" : "no";
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
        show("invalid", "", text("signed_out")); // signed out: the queue waits for the next sign-in
        return;
      }
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
    }
  } catch {
    setOnline(false);
  }
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
  answer.querySelector(".answer-word").textContent = text("pending");
  if (online) {
    try {
      const response = await post(scan);
      const data = await response.json().catch(() => ({ detail: `${response.status} ${response.statusText}` }));
      if (response.ok) {
        setOnline(true);
        const [person, detail] = describe(data);
        show(data.result, person, detail);
      } else {
        show("invalid", "", data.detail || data.error || String(response.status));
      }
      return;
    } catch {
      setOnline(false); // no network: answer here and send later
    }
  }
  const local = await verifyHere(code, where);
  if (local.result === "ok" || local.result === "duplicate" || local.result === "queued") {
    saveQueue([...queue(), { ...scan, offline: true }]);
  }
  const detail = [text("verified_offline"), local.category ? local.category.replace(/_/g, " ") : "", local.reason || ""];
  if (local.result === "duplicate") detail.push(`${text("first")} ${new Date(local.checked_in_at).toLocaleTimeString()}`);
  show(local.result, "", detail.filter(Boolean).join(" · "));
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

cameraButton.addEventListener("click", async () => {
  const api = window.BarcodeDetectionAPI;
  try {
    api.prepareZXingModule({
      overrides: { locateFile: (path, prefix) => (path.endsWith(".wasm") ? `/static/vendor/${path}` : prefix + path) },
    });
    const detector = new api.BarcodeDetector({ formats: ["qr_code"] });
    video.srcObject = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
    video.hidden = false;
    cameraButton.hidden = true;
    await video.play();
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
  } catch {
    show("invalid", "", text("camera_error"));
  }
});

window.addEventListener("online", () => {
  setOnline(true);
  sync();
});
window.addEventListener("offline", () => setOnline(false));
setOnline(navigator.onLine);
saveQueue(queue());
refreshRevoked();
setInterval(sync, 10000);
