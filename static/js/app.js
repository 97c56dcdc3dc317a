// Small progressive enhancements; every page works without JavaScript.
document.addEventListener("htmx:afterSwap", (event) => {
  // After a form comes back with errors, move focus to the first field to fix.
  const invalid = event.detail.target.querySelector("[aria-invalid=true]");
  if (invalid) invalid.focus();
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

// Print buttons: <button data-print>.
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});
