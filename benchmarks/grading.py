"""Lab grading: time from Submit to feedback for a NumPy lab (course 1, NumPy basics)
with 1, 4 and 16 submissions in flight through a real worker (2 threads, 2 cores), and
the sandbox's overhead against the same tests run unsandboxed (target <= 1.3x)."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.utils import timezone

from course_content.labkit.grade import grade
from course_content.labkit.sandbox.bubblewrap import BubblewrapRunner
from course_content.labkit.sandbox.runner import SubprocessRunner
from lms.accounts.models import User
from lms.celery import app
from lms.courses.models import Activity, Enrollment
from lms.courses.services import course_import
from lms.labs.grading import selftest
from lms.labs.models import Submission
from lms.labs.tasks import grade_submission

LAB_SLUG = "c1-w2-numpy-basics-lab"


def _solution(lab_dir: Path) -> str:
    return (lab_dir / "lab.py").read_text()  # the reference: its solution markers are comments


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _overhead(lab_dir: Path, code: str, n: int = 10) -> tuple[float, float]:
    """Like for like: one seed, so the reference outputs are cached after the warm-up and
    each grading is exactly one run of the learner's code, sandboxed or not. The two
    runners alternate so that drift in the machine's load hits both alike."""
    runners = {"sandbox": BubblewrapRunner(), "plain": SubprocessRunner()}
    samples: dict[str, list[float]] = {name: [] for name in runners}
    for runner in runners.values():
        grade(lab_dir, code, seed=1, runner=runner)  # warm the reference cache
    for _ in range(n):
        for name, runner in runners.items():
            t0 = time.perf_counter()
            result = grade(lab_dir, code, seed=1, runner=runner)
            samples[name].append(time.perf_counter() - t0)
            assert result.score == 1.0
    return statistics.median(samples["sandbox"]), statistics.median(samples["plain"])


def _in_flight(activity: Activity, code: str, learners: list[User], k: int) -> dict[str, float]:
    submissions = [
        Submission.objects.create(
            learner=learners[i % len(learners)], activity=activity, mode="submit", code=code, seed=i
        )  # fmt: skip
        for i in range(k)
    ]
    t0 = time.perf_counter()
    sent = timezone.now()
    for submission in submissions:
        grade_submission.delay(str(submission.pk))
    pending = {s.pk for s in submissions}
    while pending:
        time.sleep(0.05)
        done = Submission.objects.filter(pk__in=pending).exclude(status__in=["queued", "running"])
        pending -= set(done.values_list("pk", flat=True))
    elapsed = time.perf_counter() - t0
    latencies = [
        (s.finished - sent).total_seconds()
        for s in Submission.objects.filter(pk__in=[x.pk for x in submissions])
    ]
    assert all(s.score == 1.0 for s in Submission.objects.filter(pk__in=[x.pk for x in submissions]))
    return {
        "median": statistics.median(latencies),
        "p95": _percentile(latencies, 0.95),
        "per_min": k / elapsed * 60,
    }


def run() -> None:
    course_import(course_dir=Path(settings.CONTENT_ROOT) / "neural-networks-deep-learning")
    activity = Activity.objects.get(slug=LAB_SLUG)
    lab_dir = Path(settings.CONTENT_ROOT) / activity.lab_path
    code = _solution(lab_dir)

    sandboxed, plain = _overhead(lab_dir, code)
    print(f"lab: {LAB_SLUG} ({lab_dir.name}); reference solution submitted; each grading runs every test")
    print("| measure | value |")
    print("|---|---|")
    print(
        f"| one grading of the learner's code, sandboxed (bubblewrap, median of 10) | {sandboxed * 1000:.0f} ms |"
    )
    print(f"| the same, unsandboxed subprocess (median of 10) | {plain * 1000:.0f} ms |")
    print(f"| sandbox overhead | {sandboxed / plain:.2f}x |")

    learners = []
    for i in range(16):
        user, _ = User.objects.get_or_create(username=f"bench-coder-{i}")
        Enrollment.objects.get_or_create(user=user, course=activity.course, defaults={"track": "verified"})
        learners.append(user)
    ok, detail = selftest(force=True)
    assert ok, detail
    with start_worker(app, pool="threads", concurrency=2, perform_ping_check=False, queues=["grading"]):
        for k in (1, 4, 16):
            figures = _in_flight(activity, code, learners, k)
            print(f"| {k} in flight: Submit to feedback median / p95 | {figures['median']:.2f} s / "
                  f"{figures['p95']:.2f} s |")  # fmt: skip
            print(f"| {k} in flight: gradings per minute | {figures['per_min']:.0f} |")
