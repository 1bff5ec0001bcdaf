"""simulate_cohort stores a cohort the way real learners are stored (accounts,
enrollments, events through the ingestion service, grading records, progress,
certificates), is idempotent for a seed, and refuses bad input clearly."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command

from lms.accounts.models import User
from lms.courses.models import Enrollment
from lms.labs.models import Submission
from lms.progress.models import ActivityProgress
from lms.quizzes.models import QuizAttempt
from lms.tracking.models import Event

pytestmark = pytest.mark.django_db
COURSE = "neural-networks-deep-learning"


@pytest.fixture
def catalog():
    call_command("import_course", "--all", stdout=io.StringIO())


def simulate(*extra) -> str:
    out = io.StringIO()
    call_command("simulate_cohort", "--course", COURSE, "--learners", "40", "--days", "30", "--seed", "4",
                 "--start", "2026-05-04", *extra, stdout=out, stderr=io.StringIO())  # fmt: skip
    return out.getvalue()


def test_a_cohort_is_stored_like_real_learners_and_twice_adds_nothing(catalog):
    output = simulate()
    assert "Stored 40 learners" in output and "| quiz first-attempt accuracy |" in output
    learners = User.objects.filter(external_source="simulation")
    assert learners.count() == 40 and not any(u.has_usable_password() for u in learners)
    events = Event.objects.filter(source="simulation")
    count = events.count()
    assert count > 1000
    assert (
        Enrollment.objects.filter(user__in=learners, course__slug=COURSE, session__isnull=False).count() == 40
    )
    assert set(events.values_list("verb", flat=True)) >= {
        "video.played",
        "quiz.graded",
        "lab.graded",
        "enrollment.activated",
    }
    # Grading records match the grade events.
    assert (
        QuizAttempt.objects.filter(learner__in=learners).count() == events.filter(verb="quiz.graded").count()
    )
    assert Submission.objects.filter(learner__in=learners).count() == events.filter(verb="lab.graded").count()
    assert ActivityProgress.objects.filter(learner__in=learners, completed__isnull=False).exists()
    times = events.values_list("time", flat=True)
    assert min(times) >= dt.datetime(2026, 5, 4, tzinfo=dt.UTC) and max(times) < dt.datetime(
        2026, 6, 4, tzinfo=dt.UTC
    )

    again = simulate()
    assert "0 new events" in again and f"({count:,} already stored)" in again
    assert Event.objects.filter(source="simulation").count() == count
    assert User.objects.filter(external_source="simulation").count() == 40


def test_bad_input_is_refused_clearly(catalog):
    with pytest.raises(CommandError, match="unknown course"):
        call_command("simulate_cohort", "--course", "no-such-course", stdout=io.StringIO())
    with pytest.raises(CommandError, match="at least 1"):
        call_command("simulate_cohort", "--learners", "0", stdout=io.StringIO())
    with pytest.raises(CommandError, match="future"):
        call_command(
            "simulate_cohort", "--start", dt.date.today().isoformat(), "--days", "10", stdout=io.StringIO()
        )


def test_a_catalog_without_the_course_says_to_import_it():
    with pytest.raises(CommandError, match="import_course"):
        simulate()
