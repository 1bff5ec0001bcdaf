from django.conf import settings
from django.db import models


class QuizAttempt(models.Model):
    """One submitted attempt at a weekly quiz, graded on submission."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quiz_attempts"
    )
    activity = models.ForeignKey("courses.Activity", on_delete=models.CASCADE, related_name="quiz_attempts")
    number = models.PositiveSmallIntegerField()  # 1, 2, ... per learner and quiz
    answers = models.JSONField()  # {question slug: answer as submitted}
    results = models.JSONField()  # {question slug: true/false}
    score = models.FloatField()
    passed = models.BooleanField()
    submitted = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-submitted"]
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "activity", "number"], name="quiz_attempt_number_unique"
            )
        ]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.activity_id} by {self.learner_id}: {self.score:.0%}"
