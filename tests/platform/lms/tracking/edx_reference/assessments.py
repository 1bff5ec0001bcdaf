"""Assessment events: drag and drop, open response assessment (and its deprecated
predecessor), peer instruction, polls and surveys, problems, timed and proctored exams.

Rows of ``edx_reference.REFERENCE``: (event_type, event_source, event, module usage key or None)."""

from __future__ import annotations

from .common import BLOCK, COURSE, DND, ORA, POLL, PROBLEM, SEQUENTIAL, SUBMISSION, SURVEY, Row

_exam = {"exam_id": 7, "exam_content_id": SEQUENTIAL, "exam_name": "Midterm", "exam_default_time_limit_mins": 60,
         "exam_is_proctored": True, "exam_is_practice_exam": False, "exam_is_active": True, "attempt_id": 3,
         "attempt_user_id": 42, "attempt_started_at": "2024-03-04T10:00:00Z", "attempt_completed_at": None,
         "attempt_code": "ab12", "attempt_status": "started", "attempt_event_elapsed_time_secs": 5}  # fmt: skip


# drag and drop
DRAG_AND_DROP: list[Row] = [
    (
        "edx.drag_and_drop_v2.feedback.closed",
        "server",
        {"content": "Correct!", "manually": True, "truncated": False},
        DND,
    ),
    ("edx.drag_and_drop_v2.feedback.opened", "server", {"content": "Correct!", "truncated": False}, DND),
    (
        "edx.drag_and_drop_v2.item.dropped",
        "server",
        {
            "input": None,
            "is_correct": True,
            "is_correct_location": True,
            "item": "Goes to the top",
            "item_id": 0,
            "location": "The Top Zone",
            "location_id": 1,
        },
        DND,
    ),
    ("edx.drag_and_drop_v2.item.picked_up", "server", {"item_id": 0}, DND),
    ("edx.drag_and_drop_v2.loaded", "server", {}, DND),
]


# open response assessment
OPEN_RESPONSE: list[Row] = [
    (
        "openassessmentblock.get_peer_submission",
        "server",
        {
            "course_id": COURSE,
            "item_id": ORA,
            "requesting_student_id": "a1b2",
            "submission_returned_uuid": SUBMISSION,
        },
        ORA,
    ),
    (
        "openassessmentblock.get_submission_for_staff_grading",
        "server",
        {
            "item_id": ORA,
            "requesting_staff_id": "s1",
            "submission_returned_uuid": SUBMISSION,
            "type": "full-grade",
        },
        ORA,
    ),
    (
        "openassessmentblock.peer_assess",
        "server",
        {
            "feedback": "Clear.",
            "parts": [
                {
                    "option": {"name": "Good", "points": 3},
                    "criterion": {"name": "Ideas", "points_possible": 3},
                    "feedback": "",
                }
            ],
            "rubric": {"content_hash": "ab"},
            "scored_at": "2024-03-04T10:00:00Z",
            "scorer_id": "a1b2",
            "score_type": "PE",
            "submission_uuid": SUBMISSION,
        },
        ORA,
    ),
    (
        "openassessmentblock.self_assess",
        "server",
        {
            "feedback": "",
            "parts": [],
            "rubric": {"content_hash": "ab"},
            "scored_at": "2024-03-04T10:00:00Z",
            "scorer_id": "a1b2",
            "score_type": "SE",
            "submission_uuid": SUBMISSION,
        },
        ORA,
    ),
    (
        "openassessmentblock.staff_assess",
        "server",
        {
            "feedback": "",
            "parts": [],
            "rubric": {"content_hash": "ab"},
            "scorer_id": "s1",
            "score_type": "ST",
            "submission_uuid": SUBMISSION,
            "type": "full-grade",
        },
        ORA,
    ),
    (
        "openassessmentblock.submit_feedback_on_assessments",
        "server",
        {
            "feedback_text": "Fair grading.",
            "options": ["These assessments were useful."],
            "submission_uuid": SUBMISSION,
        },
        ORA,
    ),
    (
        "openassessmentblock.create_submission",
        "server",
        {
            "answer": {"parts": [{"text": "My essay on optimisers."}]},
            "attempt_number": 1,
            "created_at": "2024-03-04T10:00:00Z",
            "submitted_at": "2024-03-04T10:00:00Z",
            "submission_uuid": SUBMISSION,
        },
        ORA,
    ),
    (
        "openassessmentblock.save_submission",
        "server",
        {"saved_response": {"parts": [{"text": "Draft."}]}},
        ORA,
    ),
    (
        "openassessment.student_training_assess_example",
        "server",
        {"corrections": {}, "options_selected": {"Ideas": "Good"}, "submission_uuid": SUBMISSION},
        ORA,
    ),
    (
        "openassessment.upload_file",
        "browser",
        {"fileName": "essay.pdf", "fileSize": 1024, "fileType": "application/pdf"},
        ORA,
    ),
]


# peer instruction
PEER_INSTRUCTION: list[Row] = [
    ("ubc.peer_instruction.accessed", "server", {}, BLOCK.format("ubcpi", "p1")),
    (
        "ubc.peer_instruction.original_submitted",
        "server",
        {"answer": 1, "rationale": "Because.", "truncated": False},
        BLOCK.format("ubcpi", "p1"),
    ),
    (
        "ubc.peer_instruction.revised_submitted",
        "server",
        {"answer": 2, "rationale": "Changed my mind.", "truncated": False},
        BLOCK.format("ubcpi", "p1"),
    ),
]


# polls and surveys
POLLS: list[Row] = [
    ("xblock.poll.submitted", "server", {"url_name": "poll1", "choice": "yes"}, POLL),
    ("xblock.poll.view_results", "server", {}, POLL),
    (
        "xblock.survey.submitted",
        "server",
        {"url_name": "survey1", "choices": {"enjoy": "Y", "learn": "N"}},
        SURVEY,
    ),
    ("xblock.survey.view_results", "server", {}, SURVEY),
]


# problems
PROBLEMS: list[Row] = [
    (
        "edx.problem.hint.demandhint_displayed",
        "server",
        {"hint_index": 0, "hint_len": 2, "hint_text": "Think about the slope.", "module_id": PROBLEM},
        PROBLEM,
    ),
    (
        "edx.problem.hint.feedback_displayed",
        "server",
        {
            "choice_all": ["choice_0", "choice_1"],
            "correctness": False,
            "hint_label": "Incorrect",
            "hints": [{"text": "Not quite."}],
            "module_id": PROBLEM,
            "problem_part_id": "0f6a1c2d_2_1",
            "question_type": "multiplechoiceresponse",
            "student_answer": ["choice_1"],
            "trigger_type": "single",
        },
        PROBLEM,
    ),
    (
        "problem_check",
        "server",
        {
            "answers": {"0f6a1c2d_2_1": "choice_0"},
            "attempts": 1,
            "correct_map": {"0f6a1c2d_2_1": {"correctness": "correct", "npoints": None}},
            "grade": 1,
            "max_grade": 1,
            "problem_id": PROBLEM,
            "state": {"seed": 1},
            "success": "correct",
            "submission": {
                "0f6a1c2d_2_1": {
                    "answer": "0.1",
                    "correct": True,
                    "input_type": "choicegroup",
                    "question": "Step size?",
                    "response_type": "multiplechoiceresponse",
                    "variant": "",
                }
            },
        },
        PROBLEM,
    ),
    ("problem_check", "browser", "input_0f6a1c2d_2_1=choice_0", PROBLEM),
    (
        "save_problem_check",
        "server",
        {
            "answers": {"0f6a1c2d_2_1": "choice_1"},
            "attempts": 2,
            "correct_map": {},
            "grade": 0,
            "max_grade": 1,
            "problem_id": PROBLEM,
            "state": {},
            "success": "incorrect",
        },
        PROBLEM,
    ),
    (
        "problem_check_fail",
        "server",
        {"answers": {"0f6a1c2d_2_1": "choice_0"}, "failure": "closed", "problem_id": PROBLEM, "state": {}},
        PROBLEM,
    ),
    (
        "save_problem_check_fail",
        "server",
        {"answers": {}, "failure": "unreset", "problem_id": PROBLEM, "state": {}},
        PROBLEM,
    ),
    ("problem_graded", "browser", ["input_0f6a1c2d_2_1=choice_0", "<div class='problem'>...</div>"], PROBLEM),
    (
        "problem_rescore",
        "server",
        {
            "correct_map": {},
            "new_score": 1,
            "new_total": 1,
            "orig_score": 0,
            "orig_total": 1,
            "problem_id": PROBLEM,
            "state": {},
            "success": "correct",
        },
        PROBLEM,
    ),
    (
        "problem_rescore_fail",
        "server",
        {"failure": "unsupported", "problem_id": PROBLEM, "state": {}},
        PROBLEM,
    ),
    ("problem_reset", "browser", "input_0f6a1c2d_2_1=choice_0", PROBLEM),
    ("problem_save", "browser", "input_0f6a1c2d_2_1=choice_0", PROBLEM),
    ("problem_show", "browser", {"problem": PROBLEM}, PROBLEM),
    (
        "reset_problem",
        "server",
        {"new_state": {"seed": 2}, "old_state": {"seed": 1}, "problem_id": PROBLEM},
        PROBLEM,
    ),
    ("reset_problem_fail", "server", {"failure": "closed", "old_state": {}, "problem_id": PROBLEM}, PROBLEM),
    (
        "save_problem_fail",
        "server",
        {"answers": {}, "failure": "done", "problem_id": PROBLEM, "state": {}},
        PROBLEM,
    ),
    (
        "save_problem_success",
        "server",
        {"answers": {"0f6a1c2d_2_1": "choice_0"}, "problem_id": PROBLEM, "state": {}},
        PROBLEM,
    ),
    ("showanswer", "server", {"problem_id": PROBLEM}, PROBLEM),
]


# timed and proctored exams
EXAMS: list[Row] = [
    *[
        (f"edx.special_exam.{kind}.attempt.{what}", "server", _exam, None)
        for kind, whats in (
            (
                "proctored",
                (
                    "created",
                    "declined",
                    "deleted",
                    "download_software_clicked",
                    "error",
                    "ready_to_start",
                    "ready_to_submit",
                    "rejected",
                    "review_received",
                    "started",
                    "submitted",
                    "verified",
                ),
            ),
            (
                "practice",
                (
                    "created",
                    "deleted",
                    "download_software_clicked",
                    "error",
                    "ready_to_start",
                    "ready_to_submit",
                    "started",
                    "submitted",
                ),
            ),
            ("timed", ("created", "deleted", "ready_to_submit", "started", "submitted")),
        )
        for what in whats
    ],  # fmt: skip
    ("edx.special_exam.proctored.option-presented", "server", _exam, None),
    *[
        (f"edx.special_exam.{kind}.{what}", "server", _exam, None)
        for kind in ("proctored", "practice", "timed")
        for what in ("created", "updated", "allowance.created", "allowance.deleted")
    ],  # fmt: skip
]


# open response assessment (deprecated, combined open-ended)
OPEN_RESPONSE_DEPRECATED: list[Row] = [
    *[
        (etype, "browser", {"location": BLOCK.format("combinedopenended", "c1")}, None)
        for etype in (
            "oe_hide_question",
            "oe_show_question",
            "rubric_select",
            "oe_show_full_feedback",
            "oe_show_respond_to_feedback",
            "oe_feedback_response_selected",
            "peer_grading_hide_question",
            "peer_grading_show_question",
            "staff_grading_hide_question",
            "staff_grading_show_question",
        )
    ],  # fmt: skip
]
