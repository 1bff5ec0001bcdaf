"""The catalog in the database: concepts, courses, weeks, activities, quiz questions.

Rows are written only by ``lms.courses.services.course_import`` from the files in
``course_content/``. Ids from the files (``slug``) are stable: learner history is keyed
on them. Something removed from the files is *retired* (hidden, history kept), never
deleted.
"""

import datetime as dt

from django.db import models

from course_content.rules import PASS_MARK


class Concept(models.Model):
    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200)
    requires = models.ManyToManyField("self", symmetrical=False, related_name="unlocks", blank=True)

    def __str__(self) -> str:
        return self.title


class Course(models.Model):
    slug = models.SlugField(max_length=80, unique=True)
    number = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    passing_grade = models.FloatField(default=PASS_MARK)
    source_path = models.CharField(max_length=500, blank=True)
    # Courses and activities first seen in imported logs are external records.
    external_source = models.CharField(max_length=100, blank=True)
    imported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["number", "slug"]

    def __str__(self) -> str:
        return self.title


class Week(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="weeks")
    slug = models.SlugField(max_length=80, unique=True)
    position = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    retired = models.BooleanField(default=False)

    class Meta:
        ordering = ["course", "position"]

    def __str__(self) -> str:
        return self.title


class Activity(models.Model):
    """One step of a course, in a week: a video, a reading, a quiz or a lab. The fields
    below the common ones are those of its kind (empty for the others)."""

    class Kind(models.TextChoices):
        VIDEO = "video"
        READING = "reading"
        QUIZ = "quiz"
        LAB = "lab"

    slug = models.SlugField(max_length=80, unique=True)
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="activities")
    week = models.ForeignKey(Week, on_delete=models.CASCADE, related_name="activities")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    title = models.CharField(max_length=200)
    minutes = models.PositiveSmallIntegerField()
    graded = models.BooleanField(default=False)
    concepts = models.ManyToManyField(Concept, related_name="activities", blank=True)
    retired = models.BooleanField(default=False)
    external_source = models.CharField(max_length=100, blank=True)
    # video / reading
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    media = models.CharField(max_length=500, blank=True)
    transcript = models.TextField(blank=True)
    interview = models.BooleanField(default=False)
    synopsis = models.TextField(blank=True)
    # quiz
    max_attempts = models.PositiveSmallIntegerField(null=True, blank=True)
    pass_fraction = models.FloatField(null=True, blank=True)
    # lab (the files stay in course_content/; the reference never enters the database)
    lab_path = models.CharField(max_length=500, blank=True)
    cpu_seconds = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["course", "week__position", "position"]
        verbose_name_plural = "activities"

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    """One question of a quiz: single or multiple choice (``options``) or a number
    (``answer`` within ``tolerance``)."""

    class Type(models.TextChoices):
        SINGLE = "single"
        MULTIPLE = "multiple"
        NUMERIC = "numeric"

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="questions")
    slug = models.SlugField(max_length=80)
    position = models.PositiveSmallIntegerField()
    type = models.CharField(max_length=10, choices=Type.choices)
    prompt = models.TextField()
    difficulty = models.PositiveSmallIntegerField()
    concepts = models.ManyToManyField(Concept, related_name="questions", blank=True)
    # options: [{"text", "correct", "explanation"}]; numeric: answer, tolerance
    options = models.JSONField(default=list, blank=True)
    answer = models.FloatField(null=True, blank=True)
    tolerance = models.FloatField(null=True, blank=True)
    explanation = models.TextField(blank=True)
    retired = models.BooleanField(default=False)

    class Meta:
        ordering = ["activity", "position"]
        constraints = [models.UniqueConstraint(fields=["activity", "slug"], name="question_unique_per_quiz")]

    def __str__(self) -> str:
        return f"{self.activity.slug}/{self.slug}"


class CourseSession(models.Model):
    """One run of a course. Sessions start on the first of each month; week N's soft
    deadline is the end of the session's N-th week. Work belongs to the learner and the
    activity, not the session, so moving to a later session keeps everything done."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="sessions")
    starts = models.DateField()

    class Meta:
        ordering = ["course", "starts"]
        constraints = [models.UniqueConstraint(fields=["course", "starts"], name="session_unique_start")]

    def __str__(self) -> str:
        return f"{self.course} from {self.starts:%d %b %Y}"

    def week_deadline(self, position: int) -> dt.date:
        """The soft deadline of week ``position`` (1-based): the last day of that week."""
        return self.starts + dt.timedelta(days=7 * position - 1)


class Enrollment(models.Model):
    """A learner in a course, on the audit or the verified track. Auditors may watch,
    answer and Run labs; graded Submit and certificates belong to the verified track."""

    class Track(models.TextChoices):
        AUDIT = "audit"
        VERIFIED = "verified"

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="enrollments")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="enrollments")
    track = models.CharField(max_length=10, choices=Track.choices, default=Track.AUDIT)
    # None for enrollments known only from imported logs.
    session = models.ForeignKey(
        CourseSession, null=True, blank=True, on_delete=models.PROTECT, related_name="enrollments"
    )
    active = models.BooleanField(default=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "course"], name="enrollment_unique")]

    def __str__(self) -> str:
        return f"{self.user} in {self.course} ({self.track})"


class CourseRole(models.Model):
    """Staff of one course. Students need no row (enrollment makes a learner); analysts
    hold ``accounts.analyst`` across the site (``lms.accounts.roles``)."""

    class Role(models.TextChoices):
        INSTRUCTOR = "instructor"

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="course_roles")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.INSTRUCTOR)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "course"], name="course_role_unique")]

    def __str__(self) -> str:
        return f"{self.user} {self.role} of {self.course}"
