/*
 * Instrumented HTML5 video: reports loaded, played, paused, seeked, speed_changed,
 * completed and transcript shown/hidden through CairnTracker, with the segments of
 * media time actually played, so watch coverage is measured rather than guessed.
 *
 *   <video data-cairn-video data-activity="slug" ...>
 *   <button data-cairn-transcript-toggle aria-controls="transcript">
 *   <div id="transcript"> <p data-cue-start="12.5">...</p> ... </div>
 *   (or data-cue-fraction="0.25": a fraction of the media duration, for transcripts
 *   without timings)
 *   ?t=<seconds> in the page's address starts the video there (search results link so).
 */
(function () {
  "use strict";

  function round(t) { return Math.round(t * 1000) / 1000; }

  // Merge [start, end] pairs into a sorted list of disjoint segments.
  function merge(segments) {
    var sorted = segments.slice().sort(function (a, b) { return a[0] - b[0]; });
    var out = [];
    sorted.forEach(function (s) {
      var last = out[out.length - 1];
      if (last && s[0] <= last[1] + 0.25) last[1] = Math.max(last[1], s[1]);
      else out.push([s[0], s[1]]);
    });
    return out.map(function (s) { return [round(s[0]), round(s[1])]; });
  }

  function instrument(video) {
    var track = function (verb, payload) { window.CairnTracker.track(verb, payload, {activity: video.dataset.activity}); };
    var segments = [];
    var segmentStart = null;   // media time where the current played stretch began
    var lastTime = 0;          // last media time seen while not seeking
    var lastSpeed = video.playbackRate;

    function closeSegment(at) {
      if (segmentStart !== null && at > segmentStart) segments.push([segmentStart, at]);
      segmentStart = null;
    }
    function played() { return merge(segments.concat(segmentStart !== null && lastTime > segmentStart ? [[segmentStart, lastTime]] : [])); }

    var loaded = function () { track("video.loaded", {duration: round(video.duration)}); };
    // ?t=123 (a search result's moment): start there once the duration is known.
    var startAt = parseFloat(new URLSearchParams(window.location.search).get("t"));
    var seekStart = function () {
      if (isFinite(startAt) && startAt > 0) video.currentTime = Math.min(startAt, video.duration || startAt);
    };
    if (video.readyState >= 1) seekStart(); else video.addEventListener("loadedmetadata", seekStart, {once: true});
    // The metadata may have arrived before this script ran (scripts load last).
    if (video.readyState >= 1) loaded(); else video.addEventListener("loadedmetadata", loaded, {once: true});
    video.addEventListener("play", function () {
      segmentStart = video.currentTime;
      lastTime = video.currentTime;
      track("video.played", {position: round(video.currentTime), speed: video.playbackRate});
    });
    video.addEventListener("timeupdate", function () {
      if (!video.seeking) lastTime = video.currentTime;
    });
    video.addEventListener("pause", function () {
      if (video.ended) return;  // "ended" reports the finish
      closeSegment(video.currentTime);
      lastTime = video.currentTime;
      var paused = {position: round(video.currentTime), segments: played()};
      if (isFinite(video.duration)) paused.duration = round(video.duration);  // coverage is measured against it
      track("video.paused", paused);
    });
    video.addEventListener("seeking", function () {
      var from = lastTime;
      if (!video.paused) { closeSegment(from); segmentStart = video.currentTime; }
      track("video.seeked", {old_time: round(from), new_time: round(video.currentTime)});
      lastTime = video.currentTime;
    });
    video.addEventListener("ratechange", function () {
      if (video.playbackRate === lastSpeed) return;
      track("video.speed_changed", {position: round(video.currentTime), old_speed: lastSpeed, new_speed: video.playbackRate});
      lastSpeed = video.playbackRate;
    });
    video.addEventListener("ended", function () {
      closeSegment(video.duration);
      lastTime = video.duration;
      track("video.completed", {position: round(video.duration), duration: round(video.duration), segments: played()});
    });

    // Transcript: follows playback, click a cue to seek, toggle reports shown/hidden.
    var toggle = document.querySelector("[data-cairn-transcript-toggle]");
    var panel = toggle && document.getElementById(toggle.getAttribute("aria-controls"));
    if (!panel) return;
    var cues = Array.prototype.slice.call(panel.querySelectorAll("[data-cue-start], [data-cue-fraction]"));
    function cueStart(cue) {
      if (cue.dataset.cueStart !== undefined) return parseFloat(cue.dataset.cueStart);
      return parseFloat(cue.dataset.cueFraction) * (video.duration || 0);
    }
    toggle.addEventListener("click", function () {
      var show = panel.hidden;
      panel.hidden = !show;
      toggle.setAttribute("aria-expanded", String(show));
      track(show ? "video.transcript_shown" : "video.transcript_hidden", {position: round(video.currentTime)});
    });
    cues.forEach(function (cue) {
      cue.tabIndex = 0;
      var seek = function () { video.currentTime = cueStart(cue); };
      cue.addEventListener("click", seek);
      cue.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); seek(); } });
    });
    video.addEventListener("timeupdate", function () {
      var t = video.currentTime, current = null;
      cues.forEach(function (cue) { if (cueStart(cue) <= t) current = cue; });
      cues.forEach(function (cue) { cue.classList.toggle("current", cue === current); });
    });

    // Speed control buttons: <button data-cairn-speed="1.5">
    Array.prototype.forEach.call(document.querySelectorAll("[data-cairn-speed]"), function (button) {
      button.addEventListener("click", function () { video.playbackRate = parseFloat(button.dataset.cairnSpeed); });
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("video[data-cairn-video]"), instrument);
  window.CairnPlayer = {merge: merge};
})();
