"""Simulate a cohort of learners and store them like real ones (docs/simulator.md)."""

import datetime as dt
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from lms.simulation.services import StoreReport, cohort_store
from recommender.simulate import Curriculum, LearnerParams, simulate_cohort
from recommender.simulate.calibration import cohort_stats, stats_table
from recommender.simulate.records import Shows
from recommender.simulate.simulated_policies import Syllabus


class Command(BaseCommand):
    help = "Simulate N learners over D days and store their events, grades and progress."

    def add_arguments(self, parser):
        parser.add_argument("--course", action="append", dest="courses", metavar="SLUG",
                            help="course slug (repeat for several; 'all' for the whole specialization)")  # fmt: skip
        parser.add_argument("--learners", type=int, default=300)
        parser.add_argument("--days", type=int, default=56)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--start", type=dt.date.fromisoformat, default=None,
                            help="first simulated day (default: DAYS + 1 days ago, so the cohort ends yesterday)")  # fmt: skip
        parser.add_argument("--batch", type=int, default=100, help="learners stored per batch")
        parser.add_argument("--no-stats", action="store_true", help="skip the calibration table")
        parser.add_argument("--policy", choices=["syllabus", "none"], default="syllabus",
                            help="the next steps the learners are shown and may follow, recorded as "
                            "recommendation.* events like the platform's (none: no recommendations)")  # fmt: skip
        parser.add_argument("--compliance", type=float, default=0.7,
                            help="how often a learner follows a short next step (long ones less)")  # fmt: skip

    def handle(
        self, *args, courses, learners, days, seed, start, batch, no_stats, policy, compliance, **options
    ):
        if learners < 1 or days < 1:
            raise CommandError("--learners and --days must be at least 1")
        if not 0.0 <= compliance <= 1.0:
            raise CommandError("--compliance must be within [0, 1]")
        shown = {} if policy == "none" else {
            "policy": Syllabus(), "compliance": compliance,
            "shows": Shows(exploration=settings.RECOMMENDATION_EXPLORATION)}  # fmt: skip
        wanted = None if not courses or "all" in courses else courses
        try:
            curriculum = Curriculum.load(Path(settings.CONTENT_ROOT), wanted)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        start = start or dt.date.today() - dt.timedelta(days=days + 1)
        start_at = dt.datetime.combine(start, dt.time(), tzinfo=dt.UTC)
        if start_at + dt.timedelta(days=days) > dt.datetime.now(dt.UTC):
            raise CommandError(f"the cohort would end in the future: start {start} + {days} days")
        self.stdout.write(
            f"Simulating {learners} learners over {days} days from {start} in "
            f"{', '.join(curriculum.courses)} ({len(curriculum)} activities), seed {seed}"
        )
        began, report, summaries = time.monotonic(), StoreReport(), []
        with tqdm(total=learners, unit="learner", disable=None) as bar:
            for first in range(0, learners, batch):
                runs = list(simulate_cohort(curriculum, learners=min(batch, learners - first), days=days,
                                            seed=seed, start=start_at, params=LearnerParams(), first=first,
                                            **shown))  # fmt: skip
                try:
                    cohort_store(runs=runs, seed=seed, report=report)
                except ValueError as exc:
                    raise CommandError(str(exc)) from exc
                summaries += [run for run in runs]
                bar.update(len(runs))
                bar.set_postfix(events=report.events_stored)
                for run in runs:  # keep only what the statistics need
                    run.events = [e for e in run.events if e["verb"] in ("video.completed", "video.paused")]
        elapsed = time.monotonic() - began
        self.stdout.write(
            f"Stored {report.learners} learners, {report.events_stored:,} new events "
            f"({report.events_duplicate:,} already stored), {report.quiz_attempts:,} quiz attempts, "
            f"{report.submissions:,} lab submissions, {report.certificates} certificates in {elapsed:.1f} s."
        )
        if report.errors:
            self.stderr.write(f"{len(report.errors)} events refused, e.g.: {report.errors[0]}")
        if not no_stats:
            self.stdout.write(stats_table(cohort_stats(summaries, curriculum)))
