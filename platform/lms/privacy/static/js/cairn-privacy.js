// "Your data": poll each pending request's status until it is done or failed, updating
// its stage, progress bar and download link. No inline script (Content-Security-Policy).
(function () {
  "use strict";
  const PENDING = new Set(["queued", "running"]);

  function size(bytes) {
    const units = ["bytes", "KB", "MB", "GB"];
    let value = bytes || 0;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit += 1;
    }
    return (unit ? value.toFixed(1) : String(value)) + "\u00a0" + units[unit];
  }

  function update(item, status) {
    item.dataset.status = status.status;
    const stage = item.querySelector(".data-stage");
    const bar = item.querySelector("progress");
    const link = item.querySelector(".data-download");
    const error = item.querySelector(".data-error");
    if (stage) stage.textContent = status.status === "done" ? "ready" : status.stage || status.status;
    if (bar) {
      bar.value = status.progress;
      if (!PENDING.has(status.status)) bar.remove();
    }
    if (link && status.download) {
      link.href = status.download;
      link.textContent = "Download (" + size(status.size) + ")"; // rendered before the size was known
      link.hidden = false;
    }
    if (error) error.textContent = status.error || "";
  }

  function poll(item, delay) {
    fetch(item.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
      .then((status) => {
        update(item, status);
        if (PENDING.has(status.status)) setTimeout(() => poll(item, Math.min(delay * 1.5, 10000)), delay);
      })
      .catch(() => setTimeout(() => poll(item, Math.min(delay * 2, 30000)), delay * 2));
  }

  document.querySelectorAll("[data-status-url]").forEach((item) => {
    if (PENDING.has(item.dataset.status)) poll(item, 1000);
  });
})();
