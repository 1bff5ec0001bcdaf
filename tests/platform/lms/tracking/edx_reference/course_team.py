"""Course-team events (instructor dashboard, grading).

Rows of ``edx_reference.REFERENCE``: (event_type, event_source, event, module usage key or None)."""

from __future__ import annotations

from .common import COURSE, PROBLEM, SEQUENTIAL, Row

# what the grading events of one learner's problem name
_PROBLEM_GRADE = {"user_id": 42, "course_id": COURSE, "problem_id": PROBLEM}


# course-team events (instructor dashboard, grading): staff actions, with a user
COURSE_TEAM: list[Row] = [
    *[
        (etype, "server", {"course": COURSE}, None)
        for etype in (
            "add-forum-admin",
            "add-forum-community-TA",
            "add-forum-mod",
            "add-instructor",
            "add-or-remove-user-group",
            "delete-student-module-state",
            "dump-answer-dist-csv",
            "dump-graded-assignments-config",
            "dump-grades",
            "dump-grades-csv",
            "dump-grades-csv-raw",
            "dump-grades-raw",
            "get-student-progress-page",
            "list-beta-testers",
            "list-forum-admins",
            "list-forum-community-TAs",
            "list-forum-mods",
            "list-instructors",
            "list-staff",
            "list-students",
            "remove-forum-admin",
            "remove-forum-community-TA",
            "remove-forum-mod",
            "remove-instructor",
            "rescore-all-submissions",
            "rescore-student-submission",
            "reset-all-attempts",
            "reset-student-attempts",
            "edx.instructor.report.downloaded",
            "edx.instructor.report.requested",
        )
    ],  # fmt: skip
    (
        "edx.grades.course.grade_calculated",
        "server",
        {
            "user_id": 42,
            "course_id": COURSE,
            "percent_grade": 0.8,
            "letter_grade": "B",
            "event_transaction_id": "t1",
            "event_transaction_type": "edx.grades.problem.submitted",
        },
        None,
    ),
    (
        "edx.grades.subsection.grade_calculated",
        "server",
        {
            "user_id": 42,
            "course_id": COURSE,
            "block_id": SEQUENTIAL,
            "weighted_graded_earned": 1,
            "weighted_graded_possible": 2,
        },
        None,
    ),
    (
        "edx.grades.problem.submitted",
        "server",
        {
            **_PROBLEM_GRADE,
            "weighted_earned": 1,
            "weighted_possible": 1,
        },
        PROBLEM,
    ),
    (
        "edx.grades.problem.rescored",
        "server",
        {
            **_PROBLEM_GRADE,
            "new_weighted_earned": 1,
            "new_weighted_possible": 1,
            "only_if_higher": False,
            "instructor_id": 7,
        },
        PROBLEM,
    ),
    (
        "edx.grades.problem.score_overridden",
        "server",
        {
            **_PROBLEM_GRADE,
            "new_weighted_earned": 1,
            "new_weighted_possible": 1,
        },
        PROBLEM,
    ),
    (
        "edx.grades.problem.state_deleted",
        "server",
        {**_PROBLEM_GRADE, "instructor_id": 7},
        PROBLEM,
    ),
]
