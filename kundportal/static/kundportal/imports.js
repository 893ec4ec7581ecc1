// Import pages. While a file is checked or applied in the request (a few seconds for large files), say so and
// keep the button from being pressed twice; while a large file is applied in the background, poll its status
// and move the progress bar, then reload to show the result. Without this script the pages still work: the
// request simply takes its time, and a background apply's page refreshes itself (<noscript> meta refresh).
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-busy") || event.defaultPrevented) { return; }
    var status = form.querySelector("[data-busy-status]");
    if (status) { status.hidden = false; }
    // After this tick, so the submission itself is not cancelled by the disabled button.
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit]").forEach(function (button) {
        button.disabled = true;
        button.setAttribute("aria-disabled", "true");
      });
    }, 0);
  });

  var box = document.querySelector("[data-import-progress]");
  if (!box) { return; }
  var text = box.querySelector("[data-progress-text]");
  var bar = box.querySelector("[data-progress-bar]");
  var count = box.querySelector("[data-progress-count]");
  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, name) {
      var value = values[name];
      return typeof value === "number" ? value.toLocaleString(document.documentElement.lang) : (value || "");
    });
  }
  function poll() {
    fetch(box.getAttribute("data-status-url"), { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
      .then(function (data) {
        if (!data.running) { window.location.reload(); return; }
        var template = box.getAttribute("data-msg-" + (data.phase || "waiting")) || box.getAttribute("data-msg-waiting");
        var phase = format(template, data);
        // Only a new phase is announced (the live region); the counts move silently, with the bar.
        if (text.textContent !== phase) { text.textContent = phase; }
        if (data.total) {
          bar.max = data.total;
          bar.value = data.done;
          count.textContent = format(box.getAttribute("data-msg-count"), data);
        } else {
          bar.removeAttribute("value");
          count.textContent = "";
        }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 500);
})();
