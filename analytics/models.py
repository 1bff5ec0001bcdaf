"""Rollups for the instructor dashboards, and the per-learner state that keeps them exact.

Dashboards read only the rollup tables below; nothing on a dashboard request touches
``tracking_event``. ``analytics.rollups`` maintains them incrementally from the event
store (docs/dashboards.md):

- a **watermark** on ``tracking_event.received`` says which events are already counted;
- **rollups** are counters keyed by (course, day), (week), (activity, second bucket),
  (quiz, question, option), (lab, test), ... and only ever get deltas added;
- **learner state** makes counts of *distinct learners* exact whatever the batching:
  membership tables (a row per learner and course, day, week, passed item) count a
  learner once when the row is first inserted, and the video and lab state rows (played
  segments, gradings) are folded so that a learner's old contribution is retracted and
  the new one added.

Foreign keys carry no database constraint: rollups are written in bulk by one process
and must never fail on an event that names a learner erased meanwhile. Deleting a user
still deletes their state rows (Django cascades); rollups hold only counts.
"""

from django.conf import settings
from django.db import models

from lms.core.jobs import Job

_NO_DB_FK = {"on_delete": models.CASCADE, "db_constraint": False, "related_name": "+"}


def _learner():
    # Indexed: deleting a learner deletes their state rows.
    return models.ForeignKey(settings.AUTH_USER_MODEL, **_NO_DB_FK)


def _course(*, leads_key: bool = False):
    # A column that leads the primary key needs no index of its own.
    return models.ForeignKey("courses.Course", db_index=not leads_key, **_NO_DB_FK)


def _activity():
    return models.ForeignKey("courses.Activity", db_index=False, **_NO_DB_FK)  # always leads the key


class _Row(models.Model):
    """A rollup or state row: printed as its key and values."""

    class Meta:
        abstract = True

    def __str__(self) -> str:
        values = ", ".join(f"{f.attname}={getattr(self, f.attname)}" for f in self._meta.concrete_fields)
        return f"{type(self).__name__}({values})"


def _counters(n: int) -> tuple[models.IntegerField, ...]:
    """``n`` counter columns starting at 0, for ``a, b, c = _counters(3)``."""
    return tuple(models.IntegerField(default=0) for _ in range(n))


class _ActivitySummary(_Row):
    """A row per video, quiz or lab: its totals."""

    activity = models.OneToOneField("courses.Activity", primary_key=True, **_NO_DB_FK)
    course = _course()

    class Meta:
        abstract = True


class Watermark(models.Model):
    """How far the rollups have read the event store: every event with
    ``received <= received`` is counted, none after it."""

    name = models.CharField(max_length=40, primary_key=True)
    received = models.DateTimeField(null=True, blank=True)
    updated = models.DateTimeField(null=True, blank=True)
    events = models.BigIntegerField(default=0)  # events folded in so far (since the last rebuild)

    def __str__(self) -> str:
        return f"{self.name} up to {self.received}"


# --- Rollups: what the dashboards read ------------------------------------------------


class CourseSummary(_Row):
    course = models.OneToOneField("courses.Course", primary_key=True, **_NO_DB_FK)
    learners = models.IntegerField(default=0)  # distinct learners with any event in the course
    events = models.BigIntegerField(default=0)
    enrollments = models.IntegerField(default=0)  # enrollment.activated events
    unenrollments = models.IntegerField(default=0)  # enrollment.deactivated events


class CourseDay(_Row):
    """A course's day (UTC, by event time)."""

    pk = models.CompositePrimaryKey("course", "day")
    course = _course(leads_key=True)
    day = models.DateField()
    events = models.IntegerField(default=0)
    active = models.IntegerField(default=0)  # distinct learners with an event that day
    enrollments, unenrollments, video_plays, quiz_attempts, lab_gradings = _counters(5)


class WeekFunnel(_Row):
    week = models.OneToOneField("courses.Week", primary_key=True, **_NO_DB_FK)
    course = _course()
    reached = models.IntegerField(default=0)  # learners with an event on an activity of the week
    completed = models.IntegerField(default=0)  # learners who passed every graded item of the week


class VideoSummary(_ActivitySummary):
    bucket_seconds = models.IntegerField(default=1)  # width of a VideoBucket
    buckets = models.IntegerField(default=0)  # buckets in the video (ceil(duration / width))
    openers = models.IntegerField(default=0)  # learners with any event on the video
    viewers = models.IntegerField(default=0)  # learners who played some of it
    completions = models.IntegerField(default=0)  # viewers who played >= 90% of the buckets
    watched_buckets = models.BigIntegerField(default=0)  # sum over viewers of buckets played
    speed_changers = models.IntegerField(default=0)  # viewers who chose a speed other than 1x
    plays, pauses, seeks_back, seeks_forward, speed_changes = _counters(5)  # events of each kind


class VideoBucket(_Row):
    """Per-second (bucket) counters stored as *differences*: the count at bucket b is
    the sum of the deltas at buckets <= b. Adding a played stretch [a, b) is then two
    row updates, whatever its length; the page sums at most 3,601 rows."""

    pk = models.CompositePrimaryKey("activity", "bucket")
    activity = _activity()
    bucket = models.IntegerField()
    coverage = models.IntegerField(default=0)  # viewers who played this bucket
    reach = models.IntegerField(default=0)  # viewers whose furthest point is past this bucket
    rewatch = models.IntegerField(default=0)  # backward seeks that replay this bucket


class VideoSpeed(_Row):
    pk = models.CompositePrimaryKey("activity", "speed")
    activity = _activity()
    speed = models.CharField(max_length=8)  # "1.5"
    changes = models.IntegerField(default=0)  # video.speed_changed events to this speed
    learners = models.IntegerField(default=0)  # learners who chose it at least once


class QuizSummary(_ActivitySummary):
    attempts, passed, first_attempts, first_passed = _counters(4)
    first_correct = models.IntegerField(default=0)  # questions right over first attempts
    first_questions = models.IntegerField(default=0)  # questions asked over first attempts


class QuizScoreBin(_Row):
    """First-attempt scores in tenths (bin 9 holds 90-100%)."""

    pk = models.CompositePrimaryKey("activity", "bin")
    activity = _activity()
    bin = models.SmallIntegerField()
    attempts = models.IntegerField(default=0)


class QuizItem(_Row):
    """Sufficient statistics of one question over first attempts: x = right (0/1), y =
    questions right among the *other* questions of the attempt (the rest score). The
    p-value is sum_x / n; the point-biserial is the Pearson correlation of x and y.
    Integers, so incremental sums equal a recomputation exactly."""

    pk = models.CompositePrimaryKey("activity", "question")
    activity = _activity()
    question = models.CharField(max_length=80)  # the question's slug within its quiz
    n = models.IntegerField(default=0)
    sum_x = models.IntegerField(default=0)
    sum_y = models.BigIntegerField(default=0)
    sum_yy = models.BigIntegerField(default=0)
    sum_xy = models.BigIntegerField(default=0)
    all_n = models.IntegerField(default=0)  # every attempt, retakes included
    all_correct = models.IntegerField(default=0)


class QuizOption(_Row):
    """How often each option was chosen ("none": unanswered; "other": not an option)."""

    pk = models.CompositePrimaryKey("activity", "question", "option")
    activity = _activity()
    question = models.CharField(max_length=80)
    option = models.CharField(max_length=8)
    first_attempts = models.IntegerField(default=0)  # chosen on first attempts
    attempts = models.IntegerField(default=0)  # chosen on any attempt


class LabSummary(_ActivitySummary):
    learners = models.IntegerField(default=0)  # learners with any event on the lab
    attempted = models.IntegerField(default=0)  # learners with a graded attempt
    passed = models.IntegerField(default=0)
    attempts_to_pass = models.IntegerField(default=0)  # sum over passers
    minutes_to_pass = models.BigIntegerField(default=0)  # sum over passers
    runs = models.IntegerField(default=0)  # graded Runs (public tests)
    submits = models.IntegerField(default=0)  # graded Submits (all tests)
    ungradable = models.IntegerField(default=0)


class LabAttemptBin(_Row):
    """Learners by attempts made: to the first pass (outcome "passed"), or so far
    (outcome "not passed"). Bin 10 holds 10 or more."""

    pk = models.CompositePrimaryKey("activity", "outcome", "bin")
    activity = _activity()
    outcome = models.CharField(max_length=12)
    bin = models.SmallIntegerField()
    learners = models.IntegerField(default=0)


class LabTimeBin(_Row):
    """Passers by time from first opening the lab to the first pass (bins in
    ``analytics.rollups.TIME_BINS``)."""

    pk = models.CompositePrimaryKey("activity", "bin")
    activity = _activity()
    bin = models.SmallIntegerField()
    learners = models.IntegerField(default=0)


class LabTest(_Row):
    pk = models.CompositePrimaryKey("activity", "test")
    activity = _activity()
    test = models.CharField(max_length=200)
    gradings = models.IntegerField(default=0)
    passed = models.IntegerField(default=0)
    submit_gradings = models.IntegerField(default=0)
    submit_passed = models.IntegerField(default=0)


class LabFailure(_Row):
    """Failed tests by the feedback the learner was shown: the known-mistake hint when
    the grader matched one, else the failure message (shortened)."""

    pk = models.CompositePrimaryKey("activity", "test", "kind", "feedback")
    activity = _activity()
    test = models.CharField(max_length=200)
    kind = models.CharField(max_length=40)
    feedback = models.CharField(max_length=200)
    hint = models.BooleanField(default=False)  # the feedback is a hint
    failures = models.IntegerField(default=0)


# --- Learner state: what keeps distinct counts exact ----------------------------------


class LearnerCourse(_Row):
    pk = models.CompositePrimaryKey("course", "learner")
    course = _course(leads_key=True)
    learner = _learner()


class LearnerDay(_Row):
    pk = models.CompositePrimaryKey("course", "day", "learner")
    course = _course(leads_key=True)
    day = models.DateField()
    learner = _learner()


class LearnerWeek(_Row):
    pk = models.CompositePrimaryKey("week", "learner")
    week = models.ForeignKey("courses.Week", db_index=False, **_NO_DB_FK)
    learner = _learner()
    passed = models.IntegerField(default=0)  # graded items of the week passed


class LearnerPassed(_Row):
    """A graded item the learner passed (quiz passed; lab Submit at the passing grade,
    or a Run passing every public test)."""

    pk = models.CompositePrimaryKey("activity", "learner")
    activity = _activity()
    learner = _learner()


class LearnerVideo(_Row):
    pk = models.CompositePrimaryKey("activity", "learner")
    activity = _activity()
    learner = _learner()
    segments = models.JSONField(default=list)  # merged [start, end) bucket ranges played
    speeds = models.JSONField(default=list)  # speeds chosen, as strings


class LearnerLab(_Row):
    pk = models.CompositePrimaryKey("activity", "learner")
    activity = _activity()
    learner = _learner()
    first_seen = models.DateTimeField()
    gradings = models.JSONField(default=list)  # [[iso time, mode, score], ...] of gradable gradings


# --- Exports: background jobs and their audit trail -----------------------------------


class ExportJob(Job):
    """One export of the event store requested by an analyst: the job's state while it
    runs (``lms.core.jobs``), then the audit trail (who, when, which filters, pseudonymized or not, where the
    file is: erasing a learner must find and delete the files that name them)."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    class Format(models.TextChoices):
        PARQUET = "parquet", "Parquet"
        CSV = "csv", "CSV"
        EDX = "edx", "Open edX tracking log"
        XAPI = "xapi", "xAPI statements"

    format = models.CharField(max_length=10, choices=Format.choices)
    course = models.CharField(max_length=80, blank=True)  # a course slug; blank: every course
    since = models.DateTimeField(null=True, blank=True)  # inclusive
    until = models.DateTimeField(null=True, blank=True)  # exclusive
    pseudonymize = models.BooleanField(default=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.BigIntegerField(null=True, blank=True)  # events matching, counted at start
    progress = models.BigIntegerField(default=0)  # events written so far
    path = models.CharField(max_length=500, blank=True)  # the file, under DATA_DIR / "exports"
    size = models.BigIntegerField(null=True, blank=True)  # bytes
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="export_jobs"
    )

    class Meta:
        ordering = ["-created", "-pk"]

    def __str__(self) -> str:
        return f"export #{self.pk} ({self.format}, {self.status})"


# --- Recommendations (docs/dashboards.md, "Recommendation effectiveness") -------------


class RecommendationDay(_Row):
    """Next steps shown on a day by a policy (``model-vN``, ``rules-v1``, ``syllabus``), and
    how many of those were then followed or dismissed (counted on the day shown)."""

    pk = models.CompositePrimaryKey("course", "day", "policy")
    course = _course(leads_key=True)
    day = models.DateField()
    policy = models.CharField(max_length=80)
    shown = models.IntegerField(default=0)
    followed = models.IntegerField(default=0)
    dismissed = models.IntegerField(default=0)


class LearnerRecommendation(_Row):
    """State: one row per recommendation id, folded from its ``shown``, ``followed`` and
    ``dismissed`` events in any order (retract and add into RecommendationDay)."""

    recommendation = models.CharField(max_length=64, primary_key=True)
    course = _course()
    learner = _learner()
    policy = models.CharField(max_length=80, default="")  # "": not shown yet (answered first)
    shown_at = models.DateTimeField(null=True)
    target = models.ForeignKey("courses.Activity", null=True, **_NO_DB_FK)  # the first item shown
    followed = models.BooleanField(default=False)
    dismissed = models.BooleanField(default=False)


# --- Learners at risk: the precomputed risk, and what instructors did about a flag ------


class LearnerRisk(_Row):
    """One active enrollment's risk of disengaging and the signals shown beside it, as of
    ``computed``: written by ``analytics.risk.learner_risk_refresh`` (a beat task), read
    by the at-risk page, which therefore never runs the model while a teacher waits."""

    class Band(models.IntegerChoices):  # ordered: a higher band is looked at first
        NEVER = 0, "Never active"
        LOW = 1, "Low"
        MEDIUM = 2, "Medium"
        HIGH = 3, "High"
        DISENGAGED = 4, "Disengaged"  # away for the whole horizon already: no longer a prediction

    pk = models.CompositePrimaryKey("course", "learner")
    course = _course(leads_key=True)
    learner = _learner()
    band = models.SmallIntegerField(choices=Band.choices)
    risk = models.FloatField(null=True)  # the model's p(no event in the horizon); null: rule or not scored
    last_active = models.DateTimeField(null=True)  # the learner's last event (any course)
    days_inactive = models.IntegerField(null=True)  # whole days from last_active to computed
    week = models.SmallIntegerField(null=True)  # position of the week of the latest item worked on
    recent_failures = models.IntegerField(default=0)  # graded items failed in the last RISK_RECENT_DAYS
    overdue_weeks = models.JSONField(default=list)  # week positions past their soft deadline, not passed
    source = models.CharField(max_length=80)  # the model version's label, or "rule"
    computed = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["course", "-band", "-risk", "-days_inactive"], name="analytics_risk_rank"),
            models.Index(fields=["course", "last_active"], name="analytics_risk_last_active"),
        ]


# --- Learners at risk: what instructors did about a flag ------------------------------


class RiskAction(models.Model):
    """An instructor's answer to a learner flagged at risk: messaged, handled, or "not
    useful" (feedback on the flag)."""

    class Action(models.TextChoices):
        MESSAGED = "messaged", "Messaged"
        HANDLED = "handled", "Marked as handled"
        NOT_USEFUL = "not_useful", "Not useful"

    course = models.ForeignKey("courses.Course", on_delete=models.CASCADE, related_name="+")
    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    action = models.CharField(max_length=20, choices=Action.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["course", "learner", "-at"])]

    def __str__(self) -> str:
        return f"{self.action} on learner {self.learner_id} in course {self.course_id}"
