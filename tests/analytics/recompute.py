"""The rollups computed directly from the raw events, written independently of
``analytics.rollups`` (no retract-and-add, no deltas until the very end: plain sets and
counts over the whole history), and the rollup tables read back in the same shape. Only
the course rules (``course_content.rules``) and the item sums (``analytics.stats``) are
shared: they are what is being counted, not how.

``recompute() == snapshot()`` is the check that the incremental maintenance is exact.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict

from analytics.rollups import MAX_BUCKETS, TABLES
from analytics.stats import item_response_add
from course_content import rules
from lms.courses.models import Activity, Course, Question
from lms.labs.models import Submission
from lms.tracking.models import Event


def snapshot() -> dict[str, dict[tuple, dict]]:
    """Every rollup row as {table: {key: {column: value}}}, rows whose counters are all
    zero left out (a retracted contribution may leave one behind)."""
    out = {}
    for name, table in TABLES.items():
        rows = {}
        for values in table.model.objects.values_list(*table.keys, *table.adds, *table.sets):
            key, counts = values[: len(table.keys)], values[len(table.keys) :]
            adds = dict(zip(table.adds, counts[: len(table.adds)], strict=True))
            if any(adds.values()):
                rows[key] = {**adds, **dict(zip(table.sets, counts[len(table.adds) :], strict=True))}
        out[name] = rows
    return out


def _width(seconds):
    if not seconds:
        return 1, MAX_BUCKETS
    width = max(1, math.ceil(seconds / MAX_BUCKETS))
    return width, max(1, math.ceil(seconds / width))


def _buckets(start, end, width, n) -> set[int]:
    return set(range(max(0, math.floor(start / width)), min(n, math.ceil(end / width))))


def _num(value):
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _options(answer, kind, count) -> set[str]:
    if kind == "numeric":
        return set()
    if answer is None or answer == []:
        return {"none"}
    chosen = answer if isinstance(answer, list) else [answer]
    return {
        str(v) if isinstance(v, int) and not isinstance(v, bool) and 0 <= v < count else "other"
        for v in chosen
    }


def recompute(**event_filter) -> dict[str, dict[tuple, dict]]:
    """The rollups of the events matching ``event_filter`` (all by default)."""
    acts = {a.pk: a for a in Activity.objects.all()}
    passing = dict(Course.objects.values_list("id", "passing_grade"))
    questions = {(q.activity_id, q.slug): q for q in Question.objects.all()}
    graded = defaultdict(set)
    for a in acts.values():
        if a.graded and not a.retired:
            graded[a.week_id].add(a.pk)
    tables = {name: defaultdict(Counter) for name in TABLES}
    learners = defaultdict(set)
    active = defaultdict(set)
    reached = defaultdict(set)
    passed = defaultdict(set)  # learner -> graded activities passed
    covered = defaultdict(set)  # (video, learner) -> buckets
    openers = defaultdict(set)
    speeds = defaultdict(set)
    rewatch = defaultdict(Counter)
    labs = defaultdict(lambda: {"first": None, "gradings": []})
    failures = []
    recs = defaultdict(
        dict
    )  # recommendation id -> {"shown": (time, course, policy), "followed", "dismissed"}
    for e in Event.objects.filter(**event_filter).iterator(chunk_size=5000):
        a = acts.get(e.activity_id)
        course = e.course_id or (a.course_id if a else None)
        if course is None:
            continue
        day, p, v = e.time.astimezone(dt.UTC).date(), e.payload or {}, e.verb
        tables["course_summary"][(course,)]["events"] += 1
        tables["course_day"][(course, day)]["events"] += 1
        learners[course].add(e.learner_id)
        active[course, day].add(e.learner_id)
        if v in ("enrollment.activated", "enrollment.deactivated"):
            column = "enrollments" if v == "enrollment.activated" else "unenrollments"
            tables["course_summary"][(course,)][column] += 1
            tables["course_day"][(course, day)][column] += 1
        if v.startswith("recommendation.") and p.get("recommendation"):
            rec = recs[str(p["recommendation"])[:64]]
            if v == "recommendation.shown":
                shown = (e.time, course, str(p.get("model") or "unknown")[:80])
                rec["shown"] = min(rec.get("shown", shown), shown)
            else:
                rec[v.split(".")[1]] = True
        if a is None:
            continue
        reached[a.week_id].add(e.learner_id)
        if a.kind == "video" and v.startswith("video."):
            width, n = _width(a.duration_seconds)
            openers[a.pk].add(e.learner_id)
            covered.setdefault((a.pk, e.learner_id), set())
            if v == "video.played":
                tables["video_summary"][(a.pk,)]["plays"] += 1
                tables["course_day"][(course, day)]["video_plays"] += 1
            if v in ("video.paused", "video.completed"):
                tables["video_summary"][(a.pk,)]["pauses"] += v == "video.paused"
                for s, t in p.get("segments") or ():
                    covered[a.pk, e.learner_id] |= _buckets(s, t, width, n)
            if v == "video.seeked":
                old, new = _num(p.get("old_time")), _num(p.get("new_time"))
                if old is not None and new is not None:
                    if new < old and p.get("kind") != "resume":
                        tables["video_summary"][(a.pk,)]["seeks_back"] += 1
                        for b in _buckets(new, old, width, n):
                            rewatch[a.pk][b] += 1
                    else:
                        tables["video_summary"][(a.pk,)]["seeks_forward"] += 1
            if v == "video.speed_changed":
                speed = _num(p.get("new_speed"))
                if speed is not None and 0 < speed <= 16:
                    key = f"{speed:g}"
                    tables["video_summary"][(a.pk,)]["speed_changes"] += 1
                    tables["video_speed"][(a.pk, key)]["changes"] += 1
                    speeds[a.pk, e.learner_id].add(key)
        elif a.kind == "quiz" and v == "quiz.graded":
            score = _num(p.get("score")) or 0.0
            ok = (
                p.get("passed")
                if isinstance(p.get("passed"), bool)
                else rules.quiz_passed(score, a.pass_fraction)
            )
            first = p.get("attempt") == 1
            qs = [q for q in p.get("questions") or () if isinstance(q, dict) and q.get("question")]
            right = sum(bool(q.get("correct")) for q in qs)
            s = tables["quiz_summary"][(a.pk,)]
            s["attempts"] += 1
            s["passed"] += ok
            tables["course_day"][(course, day)]["quiz_attempts"] += 1
            if first:
                s["first_attempts"] += 1
                s["first_passed"] += ok
                s["first_correct"] += right
                s["first_questions"] += len(qs)
                tables["quiz_score_bin"][(a.pk, min(9, max(0, math.floor(score * 10 + 1e-9))))][
                    "attempts"
                ] += 1
            for q in qs:
                slug, x = q["question"], int(bool(q.get("correct")))
                item_response_add(tables["quiz_item"][(a.pk, slug)], x, right - x, first=first)
                question = questions.get((a.pk, slug))
                kind, count = (question.type, len(question.options or [])) if question else ("single", 0)
                for option in _options(q.get("answer"), kind, count):
                    tables["quiz_option"][(a.pk, slug, option)]["attempts"] += 1
                    tables["quiz_option"][(a.pk, slug, option)]["first_attempts"] += first
            if ok and a.graded and not a.retired:
                passed[e.learner_id].add(a.pk)
        elif a.kind == "lab" and v.startswith("lab."):
            state = labs[a.pk, e.learner_id]
            state["first"] = e.time if state["first"] is None else min(state["first"], e.time)
            if v != "lab.graded":
                continue
            tables["course_day"][(course, day)]["lab_gradings"] += 1
            if p.get("gradable") is False:
                tables["lab_summary"][(a.pk,)]["ungradable"] += 1
                continue
            mode = "run" if p.get("mode") == "run" else "submit"
            score = _num(p.get("score")) or 0.0
            tables["lab_summary"][(a.pk,)]["runs" if mode == "run" else "submits"] += 1
            state["gradings"].append((e.time, mode, score))
            for t in p.get("tests") or ():
                test = tables["lab_test"][(a.pk, t["name"])]
                test["gradings"] += 1
                test["passed"] += bool(t["passed"])
                if mode == "submit":
                    test["submit_gradings"] += 1
                    test["submit_passed"] += bool(t["passed"])
                if not t["passed"]:
                    failures.append((a.pk, p.get("submission"), t["name"], t.get("kind") or "failed"))
            if a.graded and not a.retired and rules.lab_passed(mode, score, passing[a.course_id]):
                passed[e.learner_id].add(a.pk)

    for course, people in learners.items():
        tables["course_summary"][(course,)]["learners"] = len(people)
    for (course, day), people in active.items():
        tables["course_day"][(course, day)]["active"] = len(people)
    for week, people in reached.items():
        row = tables["week_funnel"][(week,)]
        row["reached"] = len(people)
        if graded[week]:
            row["completed"] = sum(graded[week] <= passed[learner] for learner in people)
    for video, people in openers.items():
        a = acts[video]
        width, n = _width(a.duration_seconds)
        s = tables["video_summary"][(video,)]
        s["openers"] = len(people)
        coverage, reach = Counter(), Counter()
        for learner in people:
            got = covered[video, learner]
            chosen = speeds[video, learner]
            for speed in chosen:
                tables["video_speed"][(video, speed)]["learners"] += 1
            s["speed_changers"] += any(speed != "1" for speed in chosen)
            if got:
                s["viewers"] += 1
                s["watched_buckets"] += len(got)
                s["completions"] += rules.video_complete(len(got) / n)
                coverage.update(got)
                reach.update(range(max(got) + 1))
        for name, counts in (("coverage", coverage), ("reach", reach), ("rewatch", rewatch[video])):
            for b in range(n + 1):  # counts -> the stored differences
                delta = counts.get(b, 0) - counts.get(b - 1, 0)
                if delta:
                    tables["video_bucket"][(video, b)][name] = delta
    for (lab, _learner), state in labs.items():
        s = tables["lab_summary"][(lab,)]
        s["learners"] += 1
        if not state["gradings"]:
            continue
        s["attempted"] += 1
        judged = "submit" if any(mode == "submit" for _, mode, _ in state["gradings"]) else "run"
        bar = passing[acts[lab].course_id]
        tries = sorted((t, score) for t, mode, score in state["gradings"] if mode == judged)
        first_pass = next(
            (i for i, (_, score) in enumerate(tries, 1) if rules.lab_passed(judged, score, bar)), None
        )
        if first_pass is None:
            tables["lab_attempt_bin"][(lab, "not passed", min(len(tries), 10))]["learners"] += 1
            continue
        minutes = max(0, int((tries[first_pass - 1][0] - state["first"]).total_seconds() // 60))
        s["passed"] += 1
        s["attempts_to_pass"] += first_pass
        s["minutes_to_pass"] += minutes
        tables["lab_attempt_bin"][(lab, "passed", min(first_pass, 10))]["learners"] += 1
        bounds = (15, 30, 60, 120, 360, 1440, 4320)
        tables["lab_time_bin"][(lab, next((i for i, b in enumerate(bounds) if minutes < b), 7))][
            "learners"
        ] += 1
    shown = {}
    for pk, result in Submission.objects.values_list("pk", "result"):
        for t in (result or {}).get("tests") or ():
            if not t.get("passed"):
                hint = (t.get("hint") or "").strip()
                text = hint or " ".join(str(t.get("message") or "").split())
                shown[str(pk), t["name"]] = (text if len(text) <= 200 else text[:199] + "…", bool(hint))
    hints = {}
    for lab, submission, test, kind in failures:
        text, is_hint = shown.get((str(submission), test), ("", False))
        tables["lab_failure"][(lab, test, kind, text)]["failures"] += 1
        hints[lab, test, kind, text] = is_hint

    for rec in recs.values():
        if "shown" in rec:
            when, course, policy = rec["shown"]
            row = tables["recommendation_day"][(course, when.astimezone(dt.UTC).date(), policy)]
            row["shown"] += 1
            row["followed"] += rec.get("followed", False)
            row["dismissed"] += rec.get("dismissed", False)

    out = {}
    for name, table in TABLES.items():
        rows = {}
        for key, counts in tables[name].items():
            adds = {column: int(counts.get(column, 0)) for column in table.adds}
            if not any(adds.values()):
                continue
            sets = {}
            if name == "week_funnel":
                sets = {"course_id": next(a.course_id for a in acts.values() if a.week_id == key[0])}
            elif name in ("video_summary", "quiz_summary", "lab_summary"):
                sets = {"course_id": acts[key[0]].course_id}
                if name == "video_summary":
                    sets["bucket_seconds"], sets["buckets"] = _width(acts[key[0]].duration_seconds)
            elif name == "lab_failure":
                sets = {"hint": hints[key]}
            rows[key] = {**adds, **sets}
        out[name] = rows
    return out


def differences(got: dict, want: dict, limit: int = 10) -> list[str]:
    """Readable differences between two snapshots (empty when equal)."""
    found = []
    for name in sorted(set(got) | set(want)):
        a, b = got.get(name, {}), want.get(name, {})
        for key in sorted(set(a) | set(b), key=repr):
            if a.get(key) != b.get(key):
                found.append(f"{name}{key}: rollup {a.get(key)} != recomputed {b.get(key)}")
                if len(found) >= limit:
                    return found
    return found
