// The network's time-zone choice: when the member has not chosen one yet, preselect the browser's own zone
// (app.js has already offered it as an option labelled "my time zone").
document.querySelectorAll("select[data-prefer-local='1']").forEach((select) => {
  const own = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!own) return;
  const option = [...select.options].find((o) => o.value === own);
  if (option) option.selected = true;
});
