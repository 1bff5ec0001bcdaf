"""One lab's page: pass rate per test, the most frequent failures with the feedback
shown, attempts per learner and the time to pass."""

from __future__ import annotations

from typing import Any

from analytics import models as m
from analytics.charts import Chart, Series
from analytics.rollups import ATTEMPT_BINS, TIME_BIN_LABELS, TIME_BINS
from analytics.stats import fraction
from lms.courses.models import Activity

from .common import ACCENT, BLUE, GREY, RED, learners_by_bin


def _median_bin(bins: dict[int, int]) -> str | None:
    total = sum(bins.values())
    seen = 0
    for index in range(len(TIME_BINS)):
        seen += bins.get(index, 0)
        if total and seen * 2 >= total:
            return TIME_BIN_LABELS[index]
    return None


def lab_detail(*, lab: Activity) -> dict[str, Any]:
    s = m.LabSummary.objects.filter(activity=lab).first() or m.LabSummary(activity=lab)
    tests = sorted(
        m.LabTest.objects.filter(activity=lab),
        key=lambda t: (t.passed / t.gradings if t.gradings else 1, t.test),
    )
    test_chart = Chart(
        "tests",
        "Pass rate per test",
        "hbar",
        ["test", "gradings", "passed", "pass rate", "Submit gradings", "Submit pass rate"],
        [[t.test, t.gradings, t.passed, fraction(t.passed, t.gradings), t.submit_gradings,
          fraction(t.submit_passed, t.submit_gradings)] for t in tests],
        [Series(3, "All gradings (Run and Submit)", color=BLUE), Series(5, "Submits (hidden tests too)", color=ACCENT)],
        "The share of gradings in which each test passed, hardest first.",
        percent=True,
    )  # fmt: skip
    failures = list(m.LabFailure.objects.filter(activity=lab).order_by("-failures", "test", "feedback")[:15])
    failure_chart = Chart(
        "failures",
        "Most frequent failures",
        "hbar",
        ["test", "kind", "feedback shown", "feedback is a hint", "failures"],
        [[f.test, f.kind, f.feedback, "yes" if f.hint else "no", f.failures] for f in failures],
        [Series(4, "Failures", color=RED)],
        "The failing tests seen most often, with the hint or message the learner was shown.",
        x_title="Failures",
        extra={"label_columns": [0, 2]},
    )
    attempt_bins = {(b.outcome, b.bin): b.learners for b in m.LabAttemptBin.objects.filter(activity=lab)}
    attempts = Chart(
        "attempts",
        "Attempts per learner",
        "stacked-bar",
        ["attempts", "learners who passed after that many", "learners not passed after that many"],
        [[f"{n}" if n < ATTEMPT_BINS else f"{n}+", attempt_bins.get(("passed", n), 0),
          attempt_bins.get(("not passed", n), 0)] for n in range(1, ATTEMPT_BINS + 1)],
        [Series(1, "Passed on this attempt", color=ACCENT), Series(2, "Not passed (yet) after this many", color=GREY)],
        "Graded attempts (Submits, or Runs for learners who never Submit) up to the first pass, or so far.",
        x_title="Attempts",
        y_title="Learners",
    )  # fmt: skip
    time_bins = dict(m.LabTimeBin.objects.filter(activity=lab).values_list("bin", "learners"))
    times = learners_by_bin(
        "time",
        "Time to pass",
        ["time from first opening the lab", "learners who passed"],
        TIME_BIN_LABELS,
        time_bins,
        "Time from first opening the lab to the first passing grade (breaks included).",
        "Time to pass",
    )
    return {
        "s": s,
        "charts": [test_chart, failure_chart, attempts, times],
        "failures": failures,
        "pass_rate": fraction(s.passed, s.attempted),
        "mean_attempts": fraction(s.attempts_to_pass, s.passed),
        "median_time": _median_bin(time_bins),
    }
