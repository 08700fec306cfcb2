// Import progress: polls the import's status (JSON) and moves the <progress> bar; reloads the page once the
// import has finished, so the report appears. No inline script: the page points here (strict CSP).
(function () {
  "use strict";
  var box = document.getElementById("import-progress-box");
  if (!box) { return; }
  var url = box.dataset.importStatusUrl;
  var bar = document.getElementById("import-progress");
  var percent = document.getElementById("import-percent");
  var stage = document.getElementById("import-stage");
  var status = document.getElementById("import-status");
  var delay = 1000;

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (data) {
        bar.value = data.progress;
        bar.textContent = data.progress + "%";
        percent.textContent = data.progress + "%";
        if (data.stage && stage.textContent !== data.stage) { stage.textContent = data.stage; }
        if (status) { status.textContent = data.status_display; }
        if (data.finished) {
          window.location.assign(data.url);
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
