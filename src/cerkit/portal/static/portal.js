// The portal's one script: plain, no network, progressive enhancement only (every page
// works without it; the CSP allows no inline script, so all behaviour lives here).
(function () {
  "use strict";

  // The verify command: selected on focus so it can be copied.
  document.querySelectorAll("input[readonly]").forEach(function (el) {
    el.addEventListener("focus", function () { el.select(); });
  });

  // The record page's Copy button copies the verify command.
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    var said = button.parentNode.querySelector(".copied");
    if (!field) { return; }
    button.addEventListener("click", function () {
      var say = function (text) { if (said) { said.textContent = text; } };
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

  // Drag and drop onto the verify form's drop zone fills its file input; the form is then
  // submitted as if the file had been chosen (the upload is read by the server, never here).
  var zone = document.getElementById("drop");
  var input = zone && document.getElementById(zone.getAttribute("data-input"));
  if (zone && input) {
    var status = document.createElement("p");
    status.className = "hint";
    status.setAttribute("role", "status");
    zone.appendChild(status);
    var over = function (ev) { ev.preventDefault(); zone.classList.add("over"); };
    var away = function () { zone.classList.remove("over"); };
    zone.addEventListener("dragenter", over);
    zone.addEventListener("dragover", over);
    zone.addEventListener("dragleave", away);
    zone.addEventListener("drop", function (ev) {
      ev.preventDefault();
      away();
      var files = ev.dataTransfer && ev.dataTransfer.files;
      if (!files || !files.length) { return; }
      input.files = files;
      status.textContent = files[0].name + " is ready: press Verify.";
    });
    input.addEventListener("change", function () {
      status.textContent = input.files.length ? input.files[0].name + " is ready: press Verify." : "";
    });
  }

  // Drift plots: a change point's marker moves the focus to its row's diff link.
  document.querySelectorAll("svg.timeline circle.change").forEach(function (circle) {
    circle.addEventListener("click", function () {
      var row = document.getElementById(circle.getAttribute("data-row"));
      var link = row && row.querySelector("a");
      document.querySelectorAll("tr.hl").forEach(function (r) { r.classList.remove("hl"); });
      if (row) { row.classList.add("hl"); }
      if (link) { link.focus(); }
    });
  });
})();
