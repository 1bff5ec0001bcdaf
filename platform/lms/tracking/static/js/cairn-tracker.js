/*
 * Cairn clickstream tracker: small and dependency-free.
 *
 *   <script src="cairn-tracker.js" data-endpoint="/api/events" data-user="42"
 *           data-course="slug" data-activity="slug"></script>
 *   CairnTracker.track("video.played", {position: 12.5});
 *
 * Every event gets a client UUID (the server's idempotency key) and is written to
 * localStorage before anything is sent, so a closed tab or a dropped connection loses
 * nothing: unacknowledged events are re-sent, with exponential backoff, until the
 * server acknowledges them (stored now, or stored before: both mean "done").
 * When the page is hidden the pending events also go out with navigator.sendBeacon;
 * they stay stored until a later page load sees them acknowledged, and the server
 * drops the duplicates.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var cfg = script ? script.dataset : {};
  var ENDPOINT = cfg.endpoint || "/api/events";
  var KEY = "cairn.events." + (cfg.user || "anon");
  var MAX_BATCH = 100;
  var FLUSH_MS = +(cfg.flushMs || 3000);
  var MAX_BACKOFF_MS = 60000;

  function uuid4() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  var session = sessionStorage.getItem("cairn.session");
  if (!session) { session = uuid4(); sessionStorage.setItem("cairn.session", session); }

  function load() {
    try { return JSON.parse(localStorage.getItem(KEY)) || []; } catch (e) { return []; }
  }
  function save(events) {
    try { localStorage.setItem(KEY, JSON.stringify(events)); } catch (e) { /* full: keep in memory */ }
    memory = events;
  }
  var memory = load();
  var sending = false, backoff = 0, timer = null, stats = {sent: 0, acknowledged: 0, rejected: 0, retries: 0};

  function forget(ids) {
    var gone = {};
    ids.forEach(function (id) { gone[id] = true; });
    save(load().filter(function (e) { return !gone[e.id]; }));
  }

  function schedule(ms) {
    if (timer) clearTimeout(timer);
    timer = setTimeout(flush, ms);
  }

  function flush() {
    timer = null;
    if (sending) return;
    var batch = load().slice(0, MAX_BATCH);
    if (!batch.length) return;
    sending = true;
    stats.sent += batch.length;
    fetch(ENDPOINT, {
      method: "POST", credentials: "same-origin", keepalive: true,
      headers: {"Content-Type": "application/json"},
      body: JSON.stringify({events: batch})
    }).then(function (response) {
      if (response.status === 200) return response.json();
      if (response.status === 400 || response.status === 413) {
        // The batch itself was refused: nothing in it can ever be stored as is.
        if (batch.length > 1 && response.status === 413) { MAX_BATCH = Math.max(1, batch.length >> 1); return null; }
        console.warn("cairn tracker: batch refused", response.status);
        return {accepted: [], duplicates: [], errors: batch.map(function (e) { return {id: e.id}; })};
      }
      throw new Error("HTTP " + response.status);  // 403 (logged out), 5xx: keep and retry
    }).then(function (body) {
      sending = false;
      backoff = 0;
      if (body) {
        var done = body.accepted.concat(body.duplicates);
        body.errors.forEach(function (err) {
          if (err.id) done.push(err.id);
          console.warn("cairn tracker: event refused", err);
        });
        stats.acknowledged += body.accepted.length + body.duplicates.length;
        stats.rejected += body.errors.length;
        forget(done);
      }
      if (load().length) schedule(0);
    }).catch(function () {
      sending = false;
      stats.retries += 1;
      backoff = Math.min(MAX_BACKOFF_MS, backoff ? backoff * 2 : 1000);
      schedule(backoff * (0.75 + Math.random() / 2));
    });
  }

  function track(verb, payload, where) {
    where = where || {};
    var event = {
      id: uuid4(), time: new Date().toISOString(), verb: verb, session: session,
      payload: payload || {}
    };
    var course = where.course || cfg.course, activity = where.activity || cfg.activity;
    if (course) event.course = course;
    if (activity) event.activity = activity;
    var events = load();
    events.push(event);
    save(events);
    if (!timer && !sending) schedule(backoff || FLUSH_MS);
    return event.id;
  }

  function beacon() {
    var batch = load().slice(0, MAX_BATCH);
    if (!batch.length || !navigator.sendBeacon) return;
    navigator.sendBeacon(ENDPOINT, new Blob([JSON.stringify({events: batch})], {type: "application/json"}));
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") beacon();
  });
  window.addEventListener("pagehide", beacon);
  window.addEventListener("online", function () { backoff = 0; schedule(0); });
  if (memory.length) schedule(500);  // left over from an earlier page: send again

  window.CairnTracker = {
    track: track,
    flush: function () { schedule(0); },
    pending: function () { return load().length; },
    stats: stats,
    session: session
  };
})();
