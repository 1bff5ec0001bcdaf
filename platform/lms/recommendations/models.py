"""The model registry: every trained recommender version (a job, ``lms.core.jobs``),
its data window, metrics, status and the reason it was (or was not) promoted. Exactly one version is active at a
time; serving loads it (lms.recommendations.serving)."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from lms.core.jobs import StagedJob

QUEUED_STAGE = "queued"  # a training version no worker has taken yet


class ModelVersion(StagedJob):
    class Status(models.TextChoices):
        TRAINING = "training"  # a retrain is under way (at most one at a time)
        CANDIDATE = "candidate"  # trained, not promoted (the reason says why)
        ACTIVE = "active"  # served
        RETIRED = "retired"  # was active; can be rolled back to
        FAILED = "failed"  # training or evaluation failed (the reason says why)

    number = models.PositiveIntegerField(unique=True)  # v1, v2, ...
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.TRAINING)
    path = models.CharField(max_length=500, blank=True)  # the artifact directory
    code_version = models.CharField(max_length=80, blank=True)
    config = models.JSONField(default=dict, blank=True)
    metrics = models.JSONField(default=dict, blank=True)  # the evaluation report: model and baselines
    data_start = models.DateTimeField(null=True, blank=True)
    data_end = models.DateTimeField(null=True, blank=True)
    events = models.PositiveBigIntegerField(default=0)
    learners = models.PositiveIntegerField(default=0)
    # Why it failed, or the gate's decision in plain words (job_fail writes here: no ``error``).
    reason = models.TextField(blank=True)
    error = None
    error_field = "reason"
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    promoted = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=models.Q(status="active"), name="one_active_model"
            ),
            models.UniqueConstraint(
                fields=["status"], condition=models.Q(status="training"), name="one_training_model"
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.number} ({self.status})"

    @property
    def label(self) -> str:
        return f"model-v{self.number}"

    # A job whose one *training* status covers waiting and running (the constraint above
    # allows one of either): the stage tells them apart until a worker reports progress.
    @classmethod
    def queued_q(cls) -> Q:
        return Q(status=cls.Status.TRAINING, stage=QUEUED_STAGE)

    @classmethod
    def running_q(cls) -> Q:
        return Q(status=cls.Status.TRAINING) & ~Q(stage=QUEUED_STAGE)

    def mark_taken(self, now) -> list[str]:
        """A worker took it (again, on a redelivery: it resumes); the stage stays
        "queued" until training reports, and the first start is kept."""
        if self.started is not None:
            return []
        self.started = now
        return ["started"]


class PolicyExperiment(models.Model):
    """An A/B test of recommendation policies: each personalized learner falls in one arm
    by a keyed hash of their id (stable for the experiment's life), and is served that
    arm's policy. At most one experiment runs at a time."""

    class Arm(models.TextChoices):
        # The labels are what the experiments page shows: plain words, so that nobody
        # reads the syllabus arm as a personalized one.
        MODEL = "model", "Personalized by the active model (the rules when none is active)"
        RULES = "rules", "Personalized by the rules"
        SYLLABUS = "syllabus", "Syllabus order, not personalized"

    title = models.CharField(max_length=120)  # free text: "model vs syllabus, Dec"
    name = models.SlugField(max_length=80, unique=True)  # derived from the title; events carry it
    arms = models.JSONField()  # {"model": 50, "syllabus": 50}: weights per arm
    salt = models.CharField(max_length=32)
    running = models.BooleanField(default=True)
    started = models.DateTimeField(auto_now_add=True)
    stopped = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started"]
        constraints = [models.UniqueConstraint(fields=["running"], condition=models.Q(running=True),
                                               name="one_running_experiment")]  # fmt: skip

    def __str__(self) -> str:
        return self.title or self.name

    def arm_for(self, learner_id: int) -> str:
        import hashlib

        digest = hashlib.sha256(f"{self.salt}:{learner_id}".encode()).digest()
        point = int.from_bytes(digest[:8], "big") % 10_000 / 10_000
        total = sum(self.arms.values())
        edge = 0.0
        for arm, weight in sorted(self.arms.items()):
            edge += weight / total
            if point < edge:
                return arm
        return sorted(self.arms)[-1]


class Exposure(models.Model):
    """A learner's exposure to an experiment arm (written when a next step is shown):
    the outcome comparison reads these rows and progress, never the event table."""

    experiment = models.ForeignKey(PolicyExperiment, on_delete=models.CASCADE, related_name="exposures")
    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    arm = models.CharField(max_length=20)
    first_shown = models.DateTimeField()
    shown = models.PositiveIntegerField(default=0)
    followed = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["experiment", "learner"], name="exposure_unique")]

    def __str__(self) -> str:
        return f"{self.learner_id} in {self.experiment_id}/{self.arm}"
