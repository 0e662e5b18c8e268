// Plain script, no network: select the verify command on focus so it can be copied.
document.querySelectorAll("input[readonly]").forEach(function (el) {
  el.addEventListener("focus", function () { el.select(); });
});
