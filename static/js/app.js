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

// The phone menu (<details data-menu> in base.html) works without this; here it closes with Escape, focus back
// on its button, and when a click lands outside it. A browser without ::details-content could not show a closed
// <details> on a wide screen, so there it is kept open.
const menu = document.querySelector("details[data-menu]");
if (menu) {
  const wide = window.matchMedia("(min-width: 48rem)");
  const styledContent = window.CSS && CSS.supports && CSS.supports("selector(::details-content)");
  const keepOpenWhenWide = () => { if (!styledContent && wide.matches) menu.open = true; };
  // Browsers expose a <summary>'s state themselves; saying it also in ARIA helps the screen readers that do not.
  const summary = menu.querySelector("summary");
  const sayState = () => summary.setAttribute("aria-expanded", String(menu.open));
  menu.addEventListener("toggle", sayState);
  keepOpenWhenWide();
  sayState();
  wide.addEventListener("change", keepOpenWhenWide);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && menu.open && !wide.matches) {
      menu.open = false;
      summary.focus();
    }
  });
  document.addEventListener("click", (event) => {
    if (menu.open && !wide.matches && !menu.contains(event.target)) menu.open = false;
  });
}

// Upload fields with a limit (<input type=file data-max-bytes data-too-large>): a larger file is refused here,
// beside its field, before anything is sent, so nothing typed in the form is lost.
function fileFits(input) {
  const max = Number(input.dataset.maxBytes);
  const file = input.files && input.files[0];
  const tooLarge = Boolean(file && max && file.size > max);
  const id = `size-error-${input.id || input.name}`;
  let message = document.getElementById(id);
  const described = (input.getAttribute("aria-describedby") || "").split(" ").filter((x) => x && x !== id);
  if (tooLarge) {
    if (!message) {
      message = document.createElement("p");
      message.id = id;
      message.className = "error";
      message.setAttribute("role", "alert");
      message.dataset.testid = "file-too-large";
      input.insertAdjacentElement("afterend", message);
    }
    const megabytes = (Math.ceil((file.size / 1048576) * 10) / 10).toFixed(1); // up: never "10.0 MB" over 10 MB
    message.textContent = input.dataset.tooLarge.replace("{size}", megabytes);
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", [id, ...described].join(" "));
  } else if (message) {
    message.remove();
    input.removeAttribute("aria-invalid");
    input.setAttribute("aria-describedby", described.join(" "));
  }
  return !tooLarge;
}
document.addEventListener("change", (event) => {
  if (event.target.matches && event.target.matches("input[type=file][data-max-bytes]")) fileFits(event.target);
});
document.addEventListener("submit", (event) => {
  const refused = [...event.target.querySelectorAll("input[type=file][data-max-bytes]")].filter((i) => !fileFits(i));
  if (refused.length) {
    event.preventDefault();
    refused[0].focus();
  }
}, true);

// "Go back to the form" on the page of an upload that was too large: the browser's own back keeps what was typed.
document.addEventListener("click", (event) => {
  const back = event.target.closest && event.target.closest("[data-history-back]");
  if (back && window.history.length > 1) {
    event.preventDefault();
    window.history.back();
  }
});

// --- the installable app (templates/base.html, static/js/sw.js) ----------------------------------------------

// The site's service worker keeps the signed-in person's own pages for use without network. The check-in page
// has its own (/checkin/sw.js): it is not registered from there, so a phone that only checks badges has one.
if ("serviceWorker" in navigator && !location.pathname.startsWith("/checkin")) {
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {});
}

// Signing out (this device, or everywhere) or deleting the account deletes those copies: a shared phone keeps
// nobody's pages. The worker does it too when it sees the form go (and from /checkin, which it does not
// control, this does); the form itself goes at once, never held up by this.
const FORGETTING = 'form[action="/logout"], form[action="/logout/everywhere"], form[action="/account/delete"]';
document.addEventListener("submit", (event) => {
  if (!window.caches || !event.target.matches || !event.target.matches(FORGETTING)) return;
  caches
    .keys()
    .then((names) => Promise.all(names.filter((name) => name.startsWith("ascc-personal-")).map((name) => caches.delete(name))))
    .catch(() => {});
});

// "Install the app" in the menu: shown only when the browser offers to install the site (beforeinstallprompt).
const installItem = document.querySelector("[data-install-app]");
let installPrompt = null;
window.addEventListener("beforeinstallprompt", (event) => {
  event.preventDefault(); // the menu's button asks instead of the browser's own banner
  installPrompt = event;
  if (installItem) installItem.hidden = false;
});
if (installItem) {
  installItem.querySelector("button").addEventListener("click", async () => {
    if (!installPrompt) return;
    installPrompt.prompt();
    await installPrompt.userChoice.catch(() => null);
    installPrompt = null;
    installItem.hidden = true;
  });
}
window.addEventListener("appinstalled", () => {
  if (installItem) installItem.hidden = true;
});
