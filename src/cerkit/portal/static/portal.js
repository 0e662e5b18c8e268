// Plain script, no network: select the verify command on focus, copy it on a click.
document.querySelectorAll("input[readonly]").forEach(function (el) {
  el.addEventListener("focus", function () { el.select(); });
});
document.querySelectorAll("button[data-copy]").forEach(function (button) {
  var field = document.getElementById(button.getAttribute("data-copy"));
  var status = button.parentNode.querySelector(".copied");
  if (!field) { return; }
  button.addEventListener("click", function () {
    var say = function (text) { if (status) { status.textContent = text; } };
    field.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(
        function () { say("copied"); },
        function () { say("press Ctrl+C to copy"); }
      );
    } else {
      say(document.execCommand && document.execCommand("copy") ? "copied" : "press Ctrl+C to copy");
    }
  });
});
