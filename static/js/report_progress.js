// Report progress: polls the report's progress (JSON) and moves the <progress> bar without reloading the page.
// When the report is done it offers a link to it (the page is not swapped under a screen reader); when the build
// failed it shows why. No inline script: the page points here (strict CSP).
(function () {
  "use strict";
  var box = document.getElementById("report-progress-box");
  if (!box) { return; }
  var url = box.dataset.progressUrl;
  var bar = document.getElementById("report-progress");
  var percent = document.getElementById("report-percent");
  var stage = document.getElementById("report-stage");
  var help = document.getElementById("report-progress-help");
  var ready = document.getElementById("report-ready");
  var failed = document.getElementById("report-failed");
  var error = document.getElementById("report-error");
  var delay = 1000;

  function show(data) {
    bar.value = data.progress;
    bar.textContent = data.progress + "%";
    percent.textContent = data.progress + "%";
    if (data.label && stage.textContent !== data.label) { stage.textContent = data.label; }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (data) {
        show(data);
        if (data.status === "done") {
          help.hidden = true;
          ready.hidden = false;
          return;
        }
        if (data.status === "failed") {
          help.hidden = true;
          error.textContent = data.error;
          failed.hidden = false;
          failed.setAttribute("role", "alert");
          return;
        }
        delay = 1000;
        window.setTimeout(poll, delay);
      })
      .catch(function () {
        // A hiccup (network, restart): look again, less often.
        delay = Math.min(delay * 2, 15000);
        window.setTimeout(poll, delay);
      });
  }
  window.setTimeout(poll, delay);
})();
