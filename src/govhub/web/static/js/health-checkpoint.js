// Health-code checkpoint: verify a code in the browser with the published Ed25519 key set
// (WebCrypto); where the browser lacks Ed25519 the form posts and the server checks instead.
(function () {
  "use strict";
  var form = document.querySelector("[data-checkpoint-form]");
  var card = document.querySelector("[data-verdict-card]");
  var labels = JSON.parse(document.getElementById("checkpoint-labels").textContent);
  var mode = form.querySelector("[data-mode]");
  var CANONICAL = /^GHHC1\.[A-Za-z0-9_-]{56}\.[A-Za-z0-9_-]{85}[AQgw]$/;
  var COLORS = ["green", "yellow", "red"];
  var keys = null; // key id (hex) -> CryptoKey

  function bytes(b64url) {
    var text = atob(b64url.replace(/-/g, "+").replace(/_/g, "/"));
    var out = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i++) { out[i] = text.charCodeAt(i); }
    return out;
  }
  function hex(array) {
    return Array.prototype.map.call(array, function (b) { return (b < 16 ? "0" : "") + b.toString(16); }).join("");
  }
  function seconds(view, at) { // big-endian 64-bit Unix seconds
    return view.getUint32(at) * 4294967296 + view.getUint32(at + 4);
  }
  function show(verdict) {
    card.hidden = false;
    card.textContent = "";
    var box = document.createElement("div");
    if (verdict.color) {
      box.className = "health-card health-" + verdict.color;
      box.dataset.verdict = "valid";
      box.dataset.color = verdict.color;
      var title = document.createElement("h2");
      title.className = "health-color";
      title.textContent = labels[verdict.color];
      var when = document.createElement("p");
      when.textContent = labels.valid.replace("{at}", new Date(verdict.expires * 1000).toLocaleString());
      var subject = document.createElement("p");
      subject.className = "mono";
      subject.textContent = labels.subject + ": " + verdict.subject;
      box.append(title, when, subject);
    } else {
      box.className = "alert alert-error";
      box.setAttribute("role", "alert");
      box.dataset.verdict = "invalid";
      box.dataset.problem = verdict.problem;
      var strong = document.createElement("strong");
      strong.textContent = labels.invalid;
      box.append(strong, " — " + labels[verdict.reason]);
    }
    card.append(box);
  }
  async function loadKeys() {
    var response = await fetch("/api/v1/reservations/health/jwks.json", { credentials: "same-origin" });
    var set = await response.json();
    var loaded = {};
    for (var i = 0; i < set.keys.length; i++) {
      var jwk = set.keys[i];
      loaded[jwk.kid] = await crypto.subtle.importKey(
        "jwk", { kty: "OKP", crv: "Ed25519", x: jwk.x }, { name: "Ed25519" }, false, ["verify"]);
    }
    return loaded;
  }
  async function verify(token) {
    if (!CANONICAL.test(token)) { return { reason: "malformed", problem: "health-code-invalid" }; }
    var head = token.slice(0, 62);
    var payload = bytes(token.slice(6, 62));
    var view = new DataView(payload.buffer);
    var kid = hex(payload.slice(34, 42));
    var key = keys[kid];
    if (!key) { return { reason: "unknownKey", problem: "health-code-invalid" }; }
    var ok = await crypto.subtle.verify(
      { name: "Ed25519" }, key, bytes(token.slice(63)), new TextEncoder().encode(head));
    if (!ok) { return { reason: "forged", problem: "health-code-invalid" }; }
    if (payload[0] !== 1 || payload[1] > 2) { return { reason: "malformed", problem: "health-code-invalid" }; }
    var now = Date.now() / 1000;
    var issued = seconds(view, 18);
    var expires = seconds(view, 26);
    if (now >= expires) { return { reason: "expired", problem: "health-code-expired" }; }
    if (issued > now + 60) { return { reason: "malformed", problem: "health-code-invalid" }; }
    return { color: COLORS[payload[1]], subject: hex(payload.slice(2, 18)), expires: expires };
  }

  if (!(window.crypto && crypto.subtle)) { mode.textContent = labels.server; return; }
  loadKeys().then(function (loaded) {
    keys = loaded;
    mode.textContent = labels.offline;
    form.dataset.offline = "ready";
  }, function () {
    mode.textContent = labels.server; // no Ed25519 in this browser: the form posts instead
  });
  form.addEventListener("submit", function (event) {
    if (!keys) { return; }
    event.preventDefault();
    verify(form.elements.token.value.trim()).then(show, function () {
      show({ reason: "malformed", problem: "health-code-invalid" });
    });
  });
}());
