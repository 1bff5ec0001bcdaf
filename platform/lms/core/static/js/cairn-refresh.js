/*
 * Reload the page every few seconds while a background job runs (the server leaves this
 * script out once the job is done):
 *   <script src=".../cairn-refresh.js" data-seconds="5"></script>
 * Replaces <meta http-equiv="refresh">, a timed refresh the user cannot hold off (axe-core
 * "meta-refresh", WCAG 2.2.1): the reload waits while focus is in a form field or text is
 * selected, so nothing being typed or copied is lost.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var seconds = parseFloat(script && script.dataset.seconds) || 5;
  function busy() {
    var active = document.activeElement;
    var selection = window.getSelection && String(window.getSelection());
    return (active && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName)) || Boolean(selection);
  }
  function tick() {
    if (busy()) { window.setTimeout(tick, seconds * 1000); return; }
    window.location.reload();
  }
  window.setTimeout(tick, seconds * 1000);
})();
