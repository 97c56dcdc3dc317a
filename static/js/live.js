// The live parts of online attendance: questions and polls arriving over server-sent events (the htmx SSE
// extension opens the stream; this script puts each fragment in its place by id and keeps the order by
// votes), this viewer's votes, the player behind a signed link, and viewing heartbeats.
const csrf = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["x-csrftoken"] || "";

function roomState(room) {
  if (!room._state) {
    room._state = {
      voted: new Set(JSON.parse(room.dataset.voted || "[]")),
      polls: JSON.parse(room.dataset.myPolls || "{}"),
    };
  }
  return room._state;
}

// What this viewer did is theirs alone: the fragments every viewer gets are the same, so mark them here.
function mark(node) {
  const room = node.closest("[data-live-room]");
  if (!room) return;
  const state = roomState(room);
  if (node.matches("li.question")) {
    const voted = state.voted.has(Number(node.dataset.id));
    node.classList.toggle("voted", voted);
    const button = node.querySelector("button.vote");
    if (button) button.setAttribute("aria-pressed", voted ? "true" : "false");
  }
  if (node.matches("[data-poll]") && state.polls[node.dataset.poll] !== undefined) {
    node.classList.add("voted-poll");
  }
}

// Open questions first (rank), then most votes, then the oldest.
function sortQuestions(list) {
  const items = [...list.children].filter((li) => li.dataset.id);
  items.sort((a, b) => (Number(a.dataset.rank) - Number(b.dataset.rank))
    || (Number(b.dataset.votes) - Number(a.dataset.votes))
    || (Number(a.dataset.id) - Number(b.dataset.id)));
  items.forEach((li) => list.append(li));
}

function refreshEmpty(container) {
  const section = container.closest("section") || container.parentElement;
  const note = section && section.querySelector(".empty-note");
  if (note) note.hidden = container.children.length > 0;
}

function place(container, html) {
  const template = document.createElement("template");
  template.innerHTML = html.trim();
  const node = template.content.firstElementChild;
  if (!node) return;
  if (container.dataset.replace) {
    container.replaceChildren(node);
    expireLater(node);
    return;
  }
  const old = node.id ? document.getElementById(node.id) : null;
  if (node.dataset.gone) {
    if (old) old.remove();
  } else {
    if (old) old.replaceWith(node);
    else if (container.dataset.prepend) container.prepend(node);
    else container.append(node);
    const section = container.closest("section[hidden]"); // the first poll shows its section
    if (section) section.hidden = false;
    htmx.process(node);
    mark(node);
  }
  if (container.dataset.sort) sortQuestions(container);
  refreshEmpty(container);
}

// An announcement leaves the page at its end, counted on the server's clock (which a demo may fix).
function expireLater(banner) {
  if (!banner || !banner.dataset.until) return;
  const left = Date.parse(banner.dataset.until) - Date.parse(banner.dataset.now);
  // Then ask the page again: an earlier announcement may still be current.
  setTimeout(() => { banner.textContent = ""; banner.classList.add("empty"); resync(); }, Math.max(0, left) + 500);
}

// After a reconnect, what was published meanwhile is missing: take the lists afresh from the page itself.
async function resync() {
  const response = await fetch(location.href, { headers: { accept: "text/html" } });
  if (!response.ok) return;
  const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
  ["questions", "poll-list", "banner"].forEach((id) => {
    const here = document.getElementById(id);
    const there = fresh.getElementById(id);
    if (!here || !there) return;
    here.innerHTML = there.innerHTML;
    htmx.process(here);
    here.querySelectorAll("li.question, [data-poll]").forEach(mark);
    if (id !== "banner") refreshEmpty(here);
    const section = here.closest("section[hidden]");
    if (section && here.children.length) section.hidden = false;
  });
  // Questions opened or closed meanwhile.
  ["[data-ask-form]", "[data-testid=qa-closed]"].forEach((selector) => {
    const here = document.querySelector(selector);
    const there = fresh.querySelector(selector);
    if (here && there) here.hidden = there.hidden;
  });
  expireLater(document.getElementById("announcement"));
}

// Connected (again): pages and tests can tell the live updates are flowing.
document.body.addEventListener("htmx:sseOpen", (event) => {
  const source = event.target;
  if (source.dataset.opened) resync();
  source.dataset.opened = "1";
  source.dataset.connected = "1";
});
document.body.addEventListener("htmx:sseError", (event) => { event.target.dataset.connected = ""; });

document.body.addEventListener("htmx:sseBeforeMessage", (event) => {
  event.preventDefault(); // we place the fragment ourselves (by id), not htmx's plain swap
  if (event.target.matches("[data-qa-state]")) { // questions opened or closed by the organizers
    const open = event.detail.data === "open";
    event.target.querySelector("[data-ask-form]").hidden = !open;
    event.target.querySelector("[data-testid=qa-closed]").hidden = open;
    return;
  }
  place(event.target, event.detail.data);
});

// Upvote (or take the vote back) through the API; the new count reaches everyone over the stream.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("button.vote[data-question]");
  const room = button && button.closest("[data-live-room]");
  if (!room || button.disabled) return;
  const id = Number(button.dataset.question);
  const state = roomState(room);
  const had = state.voted.has(id);
  button.disabled = true;
  try {
    const response = await fetch(`/api/v1/questions/${id}/vote`, {
      method: had ? "DELETE" : "POST",
      headers: { accept: "application/json", "x-csrftoken": csrf },
    });
    if (!response.ok) return;
    const body = await response.json();
    const question = body.question || body;
    if (had) state.voted.delete(id); else state.voted.add(id);
    const item = document.getElementById(`q-${id}`);
    if (item) {
      item.dataset.votes = String(question.votes);
      item.querySelector(".count").textContent = String(question.votes);
      mark(item);
      sortQuestions(item.parentElement);
    }
  } finally {
    button.disabled = false;
  }
});

// Asking: htmx posts the form; the new question (or the reason it was refused) comes back here.
document.addEventListener("htmx:afterRequest", (event) => {
  const form = event.detail.elt;
  if (!form || !form.matches || !form.matches("[data-ask-form]")) return;
  const error = form.querySelector("[data-ask-error]");
  const xhr = event.detail.xhr;
  if (event.detail.successful) {
    error.hidden = true;
    form.reset();
    place(document.getElementById("questions"), xhr.responseText);
  } else {
    error.textContent = xhr.responseText || xhr.statusText;
    error.hidden = false;
  }
});

// Voting in a poll stays on the page: the API counts it once; the results arrive over the stream.
document.addEventListener("submit", async (event) => {
  const form = event.target.closest("[data-poll-form]");
  if (!form) return;
  const chosen = form.querySelector("input[name=option]:checked");
  if (!chosen) return;
  event.preventDefault();
  const poll = form.dataset.pollForm;
  const response = await fetch(`/api/v1/polls/${poll}/vote`, {
    method: "POST",
    headers: { accept: "application/json", "content-type": "application/json", "x-csrftoken": csrf },
    body: JSON.stringify({ option: Number(chosen.value) }),
  });
  const room = form.closest("[data-live-room]");
  const refused = response.ok ? null : await response.json().catch(() => ({}));
  if (response.ok || (refused && refused.error === "already_voted")) {
    roomState(room).polls[poll] = Number(chosen.value);
    mark(form.closest("[data-poll]"));
  }
});

// The player: the signed link answers with the provider's address, which never sits in the page.
function playerFailed(box, text) {
  const message = document.createElement("p");
  message.className = "player-failed";
  message.textContent = text || box.dataset.labelFailed;
  box.replaceChildren(message);
}

async function startPlayer(box) {
  const response = await fetch(box.dataset.link, { headers: { accept: "application/json" } }).catch(() => null);
  if (!response || !response.ok) { playerFailed(box); return; }
  const { provider, url } = await response.json();
  if (provider === "external") { // a meeting service: it opens in its own tab, from the link below
    playerFailed(box, box.dataset.labelExternal);
    return;
  }
  if (provider === "youtube" || provider === "vimeo") {
    const frame = document.createElement("iframe");
    frame.src = url;
    frame.title = document.title;
    frame.allow = "autoplay; fullscreen; picture-in-picture";
    frame.allowFullscreen = true;
    frame.className = "player-frame";
    box.replaceChildren(frame);
  } else if (provider === "hls") {
    const video = document.createElement("video");
    video.controls = true;
    video.autoplay = true;
    video.className = "player-frame";
    box.replaceChildren(video);
    if (window.Hls && window.Hls.isSupported()) {
      const hls = new window.Hls({ enableWorker: false });
      hls.on(window.Hls.Events.ERROR, (_, data) => { if (data.fatal) playerFailed(box); });
      hls.loadSource(url);
      hls.attachMedia(video);
    } else {
      video.addEventListener("error", () => playerFailed(box));
      video.src = url; // Safari plays HLS itself
    }
  }
}

// Viewing time: a heartbeat every 30 seconds while the page is open, and at once when the tab comes back
// or the network returns (the server fills short gaps, so a slowed background tab loses nothing).
function heartbeats(box) {
  const send = () => fetch(box.dataset.heartbeat, {
    method: "POST",
    headers: { accept: "application/json", "content-type": "application/json", "x-csrftoken": csrf },
    body: JSON.stringify({ channel: box.dataset.channel }),
  }).catch(() => {});
  send();
  setInterval(send, 30000);
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "visible") send(); });
  window.addEventListener("online", send);
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-live-room] li.question, [data-live-room] [data-poll]").forEach(mark);
  document.querySelectorAll("[data-live-room] [sse-swap]").forEach(refreshEmpty);
  expireLater(document.getElementById("announcement"));
  document.querySelectorAll("[data-player]").forEach((box) => {
    startPlayer(box);
    if (box.dataset.heartbeat) heartbeats(box);
  });
  // "Now and next" in the viewer's own zone: the server cannot know it, the browser can.
  const zoneForm = document.querySelector("form[data-auto-zone='1']");
  const own = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (zoneForm && own && own !== zoneForm.dataset.editionZone) {
    location.replace(`/now?tz=${encodeURIComponent(own)}`);
  }
});
