/*
 * A lecture being prepared: poll its state and show the video as soon as it is made
 * (reload the page, keeping ?t=), or the reason if it could not be made.
 *   <div id="lecture-preparing" data-lecture-status="/lectures/<slug>/status">
 */
(function () {
  "use strict";
  var box = document.getElementById("lecture-preparing");
  if (!box) return;
  var url = box.dataset.lectureStatus, delay = 2000, tries = 0;
  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : {status: "unknown"}; })
      .then(function (state) {
        if (state.status === "ready") { window.location.reload(); return; }
        if (state.status === "failed") {
          box.textContent = "This lecture's video could not be made" + (state.error ? ": " + state.error : "") +
            ". Its transcript is below; the failure is logged for the site's operators.";
          return;
        }
        tries += 1;
        window.setTimeout(poll, Math.min(delay * Math.pow(1.2, tries), 15000));
      })
      .catch(function () { window.setTimeout(poll, 15000); });
  }
  window.setTimeout(poll, delay);
})();
