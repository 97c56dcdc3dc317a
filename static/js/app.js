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
