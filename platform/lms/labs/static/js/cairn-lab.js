/*
 * Lab page: Run / Submit the notebook, then follow the grading live
 * (queued -> running -> graded) by polling the submission, and show per-test feedback.
 */
(function () {
  "use strict";
  var form = document.getElementById("lab");
  if (!form) return;
  var code = document.getElementById("code");
  var status = document.getElementById("status");
  var results = document.getElementById("results");
  var csrf = form.querySelector("[name=csrfmiddlewaretoken]").value;
  var LABELS = {queued: "Queued…", running: "Running your code…", graded: "Graded",
                not_gradable: "Not gradable (no attempt used)", failed: "The grader could not grade this"};

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text) node.textContent = text;
    return node;
  }

  function show(sub) {
    var text = LABELS[sub.status] || sub.status;
    if (sub.status === "graded") text += " · " + Math.round(sub.score * 100) + "%";
    if (sub.error) text += ": " + sub.error;
    status.textContent = text;
    status.dataset.status = sub.status;
    results.innerHTML = "";
    if (!sub.result) return;
    if (sub.result.reason) results.appendChild(el("li", "fail", sub.result.reason));
    if (sub.result.notebook_error) results.appendChild(el("li", "fail", sub.result.notebook_error));
    sub.result.tests.forEach(function (t) {
      var item = el("li", t.passed ? "pass" : "fail");
      item.appendChild(el("strong", null, (t.passed ? "✓ " : "✗ ") + t.name + (t.public ? "" : " (hidden)")));
      if (t.message) item.appendChild(el("pre", "message", t.message));
      if (t.hint) item.appendChild(el("p", "hint", "Hint: " + t.hint));
      if (t.traceback) item.appendChild(el("pre", "traceback", t.traceback));
      results.appendChild(item);
    });
  }

  function poll(id) {
    fetch(form.dataset.statusUrl + id, {credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (sub) {
        show(sub);
        if (sub.status === "queued" || sub.status === "running") setTimeout(function () { poll(id); }, 500);
      })
      .catch(function () { setTimeout(function () { poll(id); }, 2000); });
  }

  form.querySelectorAll("button[data-mode]").forEach(function (button) {
    button.addEventListener("click", function () {
      status.textContent = "Sending…";
      results.innerHTML = "";
      fetch(form.dataset.submitUrl, {
        method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-CSRFToken": csrf},
        body: JSON.stringify({code: code.value, mode: button.dataset.mode})
      }).then(function (r) {
        return r.json().then(function (body) { return {ok: r.ok, body: body}; });
      }).then(function (reply) {
        if (!reply.ok) { status.textContent = reply.body.error || "Refused"; return; }
        show(reply.body);
        poll(reply.body.id);
      }).catch(function () { status.textContent = "Network error: nothing was sent. Try again."; });
    });
  });

  document.getElementById("reset").addEventListener("click", function (e) {
    if (confirm("Replace your code with the starter?")) code.value = e.target.dataset.starter;
  });
  // Tab inserts four spaces in the editor; press Esc first to move focus on with Tab.
  var escaped = false;
  code.addEventListener("keydown", function (e) {
    if (e.key === "Escape") { escaped = true; return; }
    if (e.key !== "Tab") { escaped = false; return; }
    if (!escaped && !e.shiftKey && !e.altKey) {
      e.preventDefault();
      var s = code.selectionStart;
      code.setRangeText("    ", s, code.selectionEnd, "end");
    }
  });
})();
