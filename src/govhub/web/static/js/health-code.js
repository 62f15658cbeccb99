// Health code: count down to the code's expiry, then mark it expired and refresh it.
(function () {
  "use strict";
  var card = document.querySelector("[data-health-code]");
  if (!card) { return; }
  var expires = Number(card.dataset.expires) * 1000;
  var counter = card.querySelector("[data-countdown]");
  var expired = card.querySelector("[data-expired]");
  function tick() {
    var left = Math.max(0, Math.round((expires - Date.now()) / 1000));
    var seconds = String(left % 60);
    counter.textContent = Math.floor(left / 60) + ":" + (seconds.length < 2 ? "0" : "") + seconds;
    if (left === 0) {
      card.classList.add("health-stale");
      expired.hidden = false;
      window.clearInterval(timer);
      window.setTimeout(function () { window.location.reload(); }, 1500);
    }
  }
  var timer = window.setInterval(tick, 1000);
  tick();
  document.documentElement.dataset.healthCountdown = "ready";
}());
