"""Every table with a foreign key to the user model has a data-rights rule: a new table
cannot be forgotten by the download nor by erasure."""

from lms.privacy.inventory import DELETE, DISCUSSION, EVENTS, PRIVACY, RULES, SET_NULL, user_references


def test_every_foreign_key_to_users_has_a_rule():
    references = user_references()
    missing = [ref.key for ref in references if ref.rule is None]
    assert not missing, f"add a rule to lms.privacy.inventory.RULES for: {missing}"
    stale = set(RULES) - {ref.key for ref in references}
    assert not stale, f"rules for tables that no longer point at users: {stale}"


def test_a_table_left_out_of_the_download_says_why():
    for key, rule in RULES.items():
        assert rule.erase in (DELETE, SET_NULL, DISCUSSION, EVENTS, PRIVACY), key
        if not rule.export:
            assert len(rule.reason) > 10, f"{key} is not exported: give the reason"


def test_the_learner_tables_are_exported():
    exported = {key for key, rule in RULES.items() if rule.export}
    assert {
        "courses.Enrollment.user", "tracking.Event.learner", "labs.Submission.learner",
        "quizzes.QuizAttempt.learner", "discussions.Thread.author", "discussions.Post.author",
        "progress.ActivityProgress.learner", "progress.Certificate.learner",
        "recommendations.Exposure.learner", "analytics.LearnerRecommendation.learner",
    } <= exported  # fmt: skip
