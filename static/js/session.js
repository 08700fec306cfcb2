// Idle timeout warning: polls the session status (which does not count as activity), shows a warning
// before the server signs the user out, and sends them to the sign-in page once the server has.
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
  var polling = false;
  // Bumped by "Stay signed in", so that a status answer already on its way cannot bring back the old deadline.
  var generation = 0;
  var returnFocus = null;

  function signedOut() {
    window.clearTimeout(pollTimer);
    var here = window.location.pathname + window.location.search;
    window.location.assign(loginUrl + "?reason=signed-out&next=" + encodeURIComponent(here));
  }

  function setDeadline(secondsLeft) {
    // The server counts whole seconds down and signs out only after zero: look again a second later.
    deadline = Date.now() + Math.max(secondsLeft, 1) * 1000;
    render();
    schedule(secondsLeft);
  }

  function render() {
    if (deadline === null) { return; }
    var left = Math.ceil((deadline - Date.now()) / 1000);
    if (left <= 0) {
      // Only the server knows whether another tab kept the session alive: ask it, leave when it says so.
      poll();
      return;
    }
    if (left <= warning) {
      var minutes = Math.floor(left / 60);
      var seconds = String(left % 60).padStart(2, "0");
      countdown.textContent = "(" + minutes + ":" + seconds + ")";
      if (box.hidden) {
        returnFocus = document.activeElement;
        box.hidden = false;
        button.focus();
      }
    } else {
      box.hidden = true;
    }
  }

  function poll() {
    if (polling) { return; }
    polling = true;
    var asked = generation;
    fetch(statusUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (response.status === 401) { signedOut(); return null; }
        if (!response.ok) { throw new Error("status " + response.status); }
        return response.json();
      })
      .then(function (data) {
        polling = false;
        if (!data || asked !== generation) { return; }
        warning = data.warning;
        setDeadline(data.seconds_left);
      })
      .catch(function () { polling = false; schedule(60); });
  }

  function schedule(secondsLeft) {
    window.clearTimeout(pollTimer);
    // Ask again just before the warning is due, and often during it (another tab may keep us alive).
    var next = secondsLeft > warning ? (secondsLeft - warning) : Math.min(15, secondsLeft);
    pollTimer = window.setTimeout(poll, Math.max(1, next) * 1000);
  }

  button.addEventListener("click", function () {
    generation += 1;
    fetch(keepaliveUrl, {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok) { signedOut(); return null; }
      return response.json();
    }).then(function (data) {
      if (!data) { return; }
      box.hidden = true;
      if (returnFocus && returnFocus !== document.body && document.contains(returnFocus)) {
        returnFocus.focus();
      } else {
        document.getElementById("main").focus();
      }
      setDeadline(data.seconds_left);
    }).catch(function () { poll(); });
  });

  window.setInterval(render, 1000);
  poll();
}());
