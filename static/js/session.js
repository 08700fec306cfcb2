// Idle timeout warning: polls the session status (which does not count as activity), shows a warning
// before the server signs the user out, and sends them to the sign-in page when time runs out.
(function () {
  "use strict";
  var body = document.body;
  var statusUrl = body.dataset.sessionStatus;
  var keepaliveUrl = body.dataset.sessionKeepalive;
  var loginUrl = body.dataset.loginUrl;
  var csrf = body.dataset.csrf;
  var box = document.getElementById("idle-warning");
  if (!statusUrl || !box) { return; }
  var countdown = box.querySelector("[data-countdown]");
  var button = box.querySelector("[data-keepalive]");
  var deadline = null;
  var warning = 120;
  var pollTimer = null;

  function signedOut() {
    window.location.assign(loginUrl + "?next=" + encodeURIComponent(window.location.pathname));
  }

  function render() {
    if (deadline === null) { return; }
    var left = Math.round((deadline - Date.now()) / 1000);
    if (left <= 0) { signedOut(); return; }
    if (left <= warning) {
      if (box.hidden) { box.hidden = false; button.focus(); }
      var minutes = Math.floor(left / 60);
      var seconds = String(left % 60).padStart(2, "0");
      countdown.textContent = "(" + minutes + ":" + seconds + ")";
    } else {
      box.hidden = true;
    }
  }

  function poll() {
    fetch(statusUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (response.status === 401) { signedOut(); return null; }
        return response.json();
      })
      .then(function (data) {
        if (!data) { return; }
        warning = data.warning;
        deadline = Date.now() + data.seconds_left * 1000;
        render();
        schedule(data.seconds_left);
      })
      .catch(function () { schedule(60); });
  }

  function schedule(secondsLeft) {
    window.clearTimeout(pollTimer);
    // Ask again just before the warning is due, and often during it (another tab may keep us alive).
    var next = secondsLeft > warning ? (secondsLeft - warning) : Math.min(15, secondsLeft);
    pollTimer = window.setTimeout(poll, Math.max(1, next) * 1000);
  }

  button.addEventListener("click", function () {
    fetch(keepaliveUrl, {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok) { signedOut(); return; }
      box.hidden = true;
      poll();
    });
  });

  window.setInterval(render, 1000);
  poll();
}());
