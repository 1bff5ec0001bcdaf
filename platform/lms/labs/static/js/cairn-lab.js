/*
 * Lab page: Run / Submit the notebook, then follow the grading live
 * (queued -> running -> graded | not_gradable | failed) by polling the submission, and show
 * per-test feedback or why it could not be graded. Refusals (a run still going, too many,
 * too large) are shown as the server words them.
 * The editor is CodeMirror when cairn-editor.js could attach it, else the plain textarea;
 * an uploaded .ipynb is turned into code by the server and fills the editor.
 */
(function () {
  "use strict";
  var form = document.getElementById("lab");
  if (!form) return;
  var code = document.getElementById("code");
  var status = document.getElementById("status");
  var results = document.getElementById("results");
  var csrf = form.querySelector("[name=csrfmiddlewaretoken]").value;
  var editor = window.CairnEditor ? window.CairnEditor.attach(code) : null;
  var LABELS = {queued: "Queued…", running: "Running your code…", graded: "Graded",
                not_gradable: "Not gradable (no attempt used)", failed: "The grader could not grade this"};

  function getCode() {
    if (editor) editor.save();
    return code.value;
  }

  function setCode(text) {
    if (editor) { editor.setValue(text); editor.save(); }
    else code.value = text;
  }

  // A reply as {ok, status, body}: the JSON body, or an {error} that says what the server
  // answered when it was not JSON (a proxy's page, a body refused before the API saw it).
  function reply(r) {
    return r.text().then(function (text) {
      var body;
      try { body = JSON.parse(text); } catch (e) { body = null; }
      if (!body || typeof body !== "object") {
        body = {error: r.status === 413 ? "The notebook is too large for the server to accept"
                                        : "The server could not handle this (HTTP " + r.status + ")"};
      }
      return {ok: r.ok, status: r.status, body: body};
    });
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text) node.textContent = text;
    return node;
  }

  function show(sub) {
    var text = LABELS[sub.status] || sub.status;
    if (sub.status === "graded" && sub.mode === "run") {
      // A Run is the learner's own check on the public tests, not a grade.
      var tests = (sub.result && sub.result.tests) || [];
      var passed = tests.filter(function (t) { return t.passed; }).length;
      text = "Run finished · " + (tests.length ? passed + " of " + tests.length + " public tests passed"
                                              : Math.round(sub.score * 100) + "% of the public tests");
    } else if (sub.status === "graded") {
      text += " · " + Math.round(sub.score * 100) + "%";
    }
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
      .then(reply)
      .then(function (answer) {
        if (answer.status >= 500 || answer.status === 429) {  // passing trouble: keep following
          setTimeout(function () { poll(id); }, 2000);
          return;
        }
        if (!answer.ok) {
          status.textContent = (answer.body.error || answer.body.detail || "This run can no longer be followed") +
                               ". Reload the page to see your last result.";
          status.dataset.status = "error";
          return;
        }
        var sub = answer.body;
        show(sub);
        if (sub.status === "queued" || sub.status === "running") setTimeout(function () { poll(id); }, 500);
      })
      .catch(function () { setTimeout(function () { poll(id); }, 2000); });
  }

  document.querySelectorAll(".lab-bar button[data-mode]").forEach(function (button) {
    button.addEventListener("click", function () {
      status.textContent = "Sending…";
      results.innerHTML = "";
      fetch(form.dataset.submitUrl, {
        method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-CSRFToken": csrf},
        body: JSON.stringify({code: getCode(), mode: button.dataset.mode})
      }).then(reply).then(function (answer) {
        if (!answer.ok) {
          status.textContent = answer.body.error || answer.body.detail || "Refused";
          status.dataset.status = "refused";
          if (answer.body.pending) {  // the previous run is still going: follow it
            status.textContent += " (following it below)";
            setTimeout(function () { poll(answer.body.pending); }, 1500);
          }
          return;
        }
        show(answer.body);
        poll(answer.body.id);
      }).catch(function () { status.textContent = "Network error: nothing was sent. Try again."; });
    });
  });

  document.getElementById("reset").addEventListener("click", function (e) {
    if (confirm("Replace your code with the starter?")) setCode(e.target.dataset.starter);
  });

  // Upload a completed .ipynb: the server returns its code, which replaces the editor's.
  var upload = document.getElementById("upload");
  var uploadStatus = document.getElementById("upload-status");
  function say(text, state) {  // state: "busy" | "ok" | "error"
    uploadStatus.textContent = text;
    uploadStatus.classList.toggle("error", state === "error");
    uploadStatus.dataset.state = state;
  }
  if (upload) upload.addEventListener("submit", function (e) {
    e.preventDefault();
    var input = upload.querySelector("input[type=file]");
    var file = input.files[0];
    if (!file) { say("Choose a .ipynb file first.", "error"); input.focus(); return; }
    say("Reading " + file.name + "…", "busy");
    var data = new FormData();
    data.append("notebook", file);
    fetch(upload.dataset.uploadUrl, {
      method: "POST", credentials: "same-origin", headers: {"X-CSRFToken": csrf}, body: data
    }).then(reply).then(function (answer) {
      if (!answer.ok) {
        say("Could not use " + file.name + ": " + (answer.body.error || answer.body.detail || "refused") +
            ". Your code was not changed.", "error");
        return;
      }
      setCode(answer.body.code);
      say("Loaded your code from " + file.name + ": Run or Submit it to grade it.", "ok");
    }).catch(function () {
      say("The upload failed (network or server error). Your code was not changed.", "error");
    });
  });

  if (editor) return;
  // Without CodeMirror: Tab inserts four spaces in the textarea; press Esc first to move
  // focus on with Tab.
  var escaped = false;
  code.addEventListener("keydown", function (e) {
    if (e.key === "Shift" || e.key === "Control" || e.key === "Alt" || e.key === "Meta") return;
    if (e.key === "Escape") { escaped = true; return; }
    if (e.key !== "Tab") { escaped = false; return; }
    if (!escaped && !e.shiftKey && !e.altKey) {
      e.preventDefault();
      var s = code.selectionStart;
      code.setRangeText("    ", s, code.selectionEnd, "end");
    }
    escaped = false;
  });
})();
