// Small progressive enhancements; every page works without JavaScript.
document.addEventListener("htmx:afterSwap", (event) => {
  const target = event.detail && event.detail.target;
  if (!target || !target.querySelector) return;
  // After a form comes back with errors, move focus to the first field to fix.
  const invalid = target.querySelector("[aria-invalid=true]");
  if (invalid) invalid.focus();
  // A day tab replaced the agenda: keep the keyboard on the tab that is now current.
  const trigger = event.detail.requestConfig && event.detail.requestConfig.elt;
  if (target.id === "agenda-results" && trigger && trigger.closest && trigger.closest(".day-tabs")) {
    const current = target.querySelector(".day-tabs [aria-current]");
    if (current) current.focus();
  }
});

// A save button swapped itself: focus its replacement instead of losing the place on the page.
document.addEventListener("htmx:afterSettle", (event) => {
  const trigger = event.detail && event.detail.requestConfig && event.detail.requestConfig.elt;
  const id = trigger && trigger.dataset && trigger.dataset.sessionId;
  if (id) {
    const button = document.getElementById(`save-${id}`);
    if (button) button.focus();
  }
});

// After filters change the address in place, the language switch must lead back to the same list.
document.addEventListener("htmx:pushedIntoHistory", (event) => {
  const path = event.detail && event.detail.path;
  if (!path) return;
  document.querySelectorAll(".lang-switch a").forEach((link) => {
    const lang = new URL(link.href, location.href).pathname.split("/").pop();
    link.href = `/lang/${lang}?next=${encodeURIComponent(path)}`;
  });
});

// Buttons that change other people's registrations ask first: <button data-confirm="...">.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) event.preventDefault();
});

// The agenda's time-zone switch offers the browser's own zone first (the server cannot know it).
const tzSelect = document.querySelector("select[data-local-zone-label]");
if (tzSelect) {
  const own = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (own && ![...tzSelect.options].some((o) => o.value === own)) {
    const option = new Option(`${tzSelect.dataset.localZoneLabel} (${own})`, own);
    tzSelect.insertBefore(option, tzSelect.options[1]);
  } else if (own) {
    const existing = [...tzSelect.options].find((o) => o.value === own);
    if (existing && existing.value) existing.textContent = `${tzSelect.dataset.localZoneLabel} (${own})`;
  }
}

// Print buttons: <button data-print hidden> (hidden without JavaScript, where they could not work).
document.querySelectorAll("[data-print]").forEach((button) => { button.hidden = false; });
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});

// A meeting's countdown: <span data-countdown="ISO start" data-now="server's ISO now" data-label-soon="..."
// data-label-now="...">. Counted from the server's clock, which may be fixed for a demo (ASCC_NOW).
const pageLoadedAt = Date.now();
function updateCountdowns() {
  document.querySelectorAll("[data-countdown]").forEach((element) => {
    const serverNow = Date.parse(element.dataset.now) + (Date.now() - pageLoadedAt);
    const minutes = Math.round((Date.parse(element.dataset.countdown) - serverNow) / 60000);
    if (Number.isNaN(minutes)) return;
    // An online meeting's room opens 15 minutes before: show its "join" button when it does.
    const reloadAt = Date.parse(element.dataset.reloadAt || "");
    if (serverNow >= reloadAt && Date.parse(element.dataset.now) < reloadAt) location.reload();
    element.textContent = minutes > 0
      ? element.dataset.labelSoon.replace("{minutes}", String(minutes))
      : element.dataset.labelNow;
  });
}
document.addEventListener("DOMContentLoaded", () => {
  if (document.querySelector("[data-countdown]")) {
    updateCountdowns();
    setInterval(updateCountdowns, 5000);
  }
});
