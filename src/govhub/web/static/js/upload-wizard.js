// The upload wizard (templates/ingest/upload.html): send the chosen or dropped file with XHR so
// the bar follows the upload, show the preview fragment the server answers, and mark the step.
"use strict";
(() => {
  const root = document.getElementById("step-choose");
  if (!root) return;
  const url = root.dataset.uploadUrl;
  const token = root.dataset.csrf;
  const failed = root.dataset.failed;
  const zone = document.getElementById("drop-zone");
  const input = document.getElementById("file-input");
  const box = document.getElementById("upload-progress");
  const bar = document.getElementById("upload-bar");
  const percent = document.getElementById("upload-percent");
  const error = document.getElementById("upload-error");
  const wizard = document.getElementById("wizard");
  const steps = document.querySelectorAll(".wizard-steps li");
  const mark = (n) => steps.forEach((li) => li.toggleAttribute("aria-current", li.dataset.step === String(n)));
  mark(1);
  // Steps 3 and 4 arrive by htmx swaps inside #wizard: follow them whatever the swap style.
  new MutationObserver(() => {
    const step = wizard.querySelector("[data-wizard-step]");
    if (step) mark(step.dataset.wizardStep);
  }).observe(wizard, { childList: true, subtree: true });
  const send = (file) => {
    if (!file) return;
    const data = new FormData();
    data.append("file", file);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.setRequestHeader("X-CSRF-Token", token);
    xhr.setRequestHeader("HX-Request", "true");
    box.hidden = false;
    error.hidden = true;
    document.getElementById("upload-name").textContent = file.name;
    xhr.upload.addEventListener("progress", (event) => {
      if (!event.lengthComputable) return;
      const share = Math.round((event.loaded / event.total) * 100);
      bar.value = share;
      percent.textContent = share + "%";
    });
    xhr.addEventListener("load", () => {
      if (xhr.status >= 400) {
        error.textContent = failed.replace("{status}", xhr.status);
        error.hidden = false;
        return;
      }
      bar.value = 100;
      percent.textContent = "100%";
      wizard.innerHTML = xhr.responseText;
      htmx.process(wizard);
    });
    xhr.addEventListener("error", () => {
      error.textContent = failed.replace("{status}", "-");
      error.hidden = false;
    });
    xhr.send(data);
  };
  input.addEventListener("change", () => send(input.files[0]));
  zone.addEventListener("dragover", (event) => { event.preventDefault(); zone.classList.add("is-over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("is-over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("is-over");
    send(event.dataTransfer.files[0]);
  });
})();
