"""One Open edX tracking-log line per documented event type, for the coverage test.

Written from the Open edX reference "Events in the Tracking Logs" (facts only: the event
types, their sources and their ``event`` member fields; the values are made up):

- https://edx.readthedocs.io/projects/devdata/en/latest/internal_data_formats/tracking_logs/student_event_types.html
  (learner events: enrollment, navigation, video and pre-roll video, textbook and PDF,
  problems with hints, show answer, reset and rescore, open response assessment, drag
  and drop, forums, certificates and badges, bookmarks, teams, polls and surveys,
  cohorts, notes, completion, content libraries and experiments, special exams,
  third-party components, peer instruction; and the deprecated ORA events)
- https://edx.readthedocs.io/projects/devdata/en/latest/internal_data_formats/tracking_logs/course_team_event_types.html
  and the alphabetical list, .../internal_data_formats/event_list.html (course-team,
  instructor-dashboard and grading events)
- https://edx.readthedocs.io/projects/devdata/en/latest/internal_data_formats/tracking_logs/common_fields.html
  (the common fields, and implicit events: a server line whose ``event_type`` is the
  URL path it served)

(the same pages live on at https://docs.openedx.org, "Events in the Tracking Logs";
the source is the repository openedx/edx-documentation, ``en_us/data/source/
internal_data_formats``).

``reference_lines()`` gives the lines; ``REFERENCE`` the (type, source, event) rows. Every
line carries an IP address, a user agent and a referrer from ``PRIVATE`` so a test can
check that none of them is stored.
"""

from __future__ import annotations

import datetime as dt
import json

COURSE = "course-v1:OpenedX+DemoX+2024_T1"
BLOCK = "block-v1:OpenedX+DemoX+2024_T1+type@{}+block@{}"
PROBLEM = BLOCK.format("problem", "0f6a1c2d")
VIDEO = BLOCK.format("video", "5c3e9a11")
HTML = BLOCK.format("html", "a8d0b2c4")
SEQUENTIAL = BLOCK.format("sequential", "77e1d0aa")
ORA = BLOCK.format("openassessment", "0ra5b1c2")
DND = BLOCK.format("drag-and-drop-v2", "d4d0e5f6")
POLL = BLOCK.format("poll", "9011ab12")
SURVEY = BLOCK.format("survey", "5a7e1234")
DONE = BLOCK.format("done", "d0e11111")
THREAD = "5e8d2f0a1b2c3d4e5f6a7b8c"
RESPONSE = "5e8d2f0a1b2c3d4e5f6a7b8d"
COMMENT = "5e8d2f0a1b2c3d4e5f6a7b8e"
SUBMISSION = "3b1a8e4c-7f0d-4a52-9d61-0c2e5f8a9b7c"
PRIVATE = {
    "ip": "198.51.100.77",
    "agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1 PrivateAgentMarker",
    "referer": "https://www.google.com/search?q=private-referrer-marker",
    "host": "courses.example.org",
    "accept_language": "fr-CH,fr;q=0.9",
}  # fmt: skip
OTHER_LEARNER = "other-learner-marker"  # named by some events (target_username): never stored
_forum = {"commentable_id": "course", "user_forums_roles": ["Student"], "user_course_roles": [],
          "url": f"https://courses.example.org/courses/{COURSE}/discussion/forum/course/threads/{THREAD}",
          "team_id": None, "category_id": "i4x-OpenedX-DemoX-course-2024", "category_name": "General"}  # fmt: skip
_video = {"id": "5c3e9a11", "code": "html5", "currentTime": 42.5}
_exam = {"exam_id": 7, "exam_content_id": SEQUENTIAL, "exam_name": "Midterm", "exam_default_time_limit_mins": 60,
         "exam_is_proctored": True, "exam_is_practice_exam": False, "exam_is_active": True, "attempt_id": 3,
         "attempt_user_id": 42, "attempt_started_at": "2024-03-04T10:00:00Z", "attempt_completed_at": None,
         "attempt_code": "ab12", "attempt_status": "started", "attempt_event_elapsed_time_secs": 5}  # fmt: skip

# (event_type, event_source, event, module usage key or None)
REFERENCE: list[tuple[str, str, object, str | None]] = [
    # enrollment
    (
        "edx.course.enrollment.activated",
        "server",
        {"course_id": COURSE, "user_id": 42, "mode": "audit"},
        None,
    ),
    (
        "edx.course.enrollment.deactivated",
        "server",
        {"course_id": COURSE, "user_id": 42, "mode": "audit"},
        None,
    ),
    (
        "edx.course.enrollment.mode_changed",
        "server",
        {"course_id": COURSE, "user_id": 42, "mode": "verified"},
        None,
    ),
    ("edx.course.enrollment.upgrade.clicked", "browser", {"location": "in_course", "mode": "verified"}, None),
    ("edx.course.enrollment.upgrade.succeeded", "server", {"mode": "verified"}, None),
    # navigation
    ("seq_goto", "browser", {"old": 1, "new": 3, "id": SEQUENTIAL}, None),
    ("seq_next", "browser", {"old": 1, "new": 2, "id": SEQUENTIAL}, None),
    ("seq_prev", "browser", {"old": 2, "new": 1, "id": SEQUENTIAL}, None),
    (
        "edx.ui.lms.sequence.next_selected",
        "browser",
        {"current_tab": 1, "id": SEQUENTIAL, "tab_count": 4, "widget_placement": "top"},
        None,
    ),
    (
        "edx.ui.lms.sequence.previous_selected",
        "browser",
        {"current_tab": 2, "id": SEQUENTIAL, "tab_count": 4, "widget_placement": "bottom"},
        None,
    ),
    (
        "edx.ui.lms.sequence.tab_selected",
        "browser",
        {"current_tab": 1, "id": SEQUENTIAL, "tab_count": 4, "target_tab": 3, "widget_placement": "top"},
        None,
    ),
    (
        "edx.ui.lms.outline.selected",
        "browser",
        {
            "target_url": f"https://courses.example.org/courses/{COURSE}/jump_to/{SEQUENTIAL}",
            "target_name": "Week 1",
        },
        None,
    ),
    (
        "edx.ui.lms.jump_nav.selected",
        "browser",
        {
            "target_url": f"https://courses.example.org/courses/{COURSE}/jump_to/{SEQUENTIAL}",
            "target_name": "Week 2",
            "current_url": f"https://courses.example.org/courses/{COURSE}/courseware",
        },
        None,
    ),
    (
        "edx.ui.lms.link_clicked",
        "browser",
        {
            "current_url": f"https://courses.example.org/courses/{COURSE}/courseware/w1/s1/1",
            "target_url": "https://en.wikipedia.org/wiki/Gradient_descent",
        },
        None,
    ),
    ("page_close", "browser", "", None),
    (
        f"/courses/{COURSE}/courseware/week_1/",
        "server",
        {"GET": {"email": ["learner@example.org"]}, "POST": {}},
        None,
    ),
    # course resources: bookmarks and tools
    (
        "edx.bookmark.accessed",
        "browser",
        {"bookmark_id": "learner_a,block-v1", "component_type": "vertical", "component_usage_id": HTML},
        None,
    ),
    (
        "edx.bookmark.added",
        "server",
        {
            "bookmark_id": "learner_a,block-v1",
            "component_type": "vertical",
            "component_usage_id": HTML,
            "course_id": COURSE,
        },
        None,
    ),
    (
        "edx.bookmark.listed",
        "server",
        {
            "bookmarks_count": 3,
            "course_id": COURSE,
            "list_type": "per_course",
            "page_number": 1,
            "page_size": 10,
        },
        None,
    ),
    (
        "edx.bookmark.removed",
        "server",
        {
            "bookmark_id": "learner_a,block-v1",
            "component_type": "vertical",
            "component_usage_id": HTML,
            "course_id": COURSE,
        },
        None,
    ),
    (
        "edx.course.bookmark.added",
        "server",
        {"bookmark_id": "learner_a,block-v1", "component_type": "vertical", "component_usage_id": HTML},
        None,
    ),
    (
        "edx.course.bookmark.removed",
        "server",
        {"bookmark_id": "learner_a,block-v1", "component_type": "vertical", "component_usage_id": HTML},
        None,
    ),
    ("edx.course.bookmark.listed", "server", {"bookmarks_count": 3, "list_type": "all_courses"}, None),
    ("edx.course.tool.accessed", "browser", {"tool_name": "edx.bookmarks"}, None),
    # certificates and badges
    (
        "edx.certificate.created",
        "server",
        {
            "user_id": 42,
            "course_id": COURSE,
            "certificate_id": "c3rt1d",
            "certificate_url": "https://courses.example.org/certificates/c3rt1d",
            "enrollment_mode": "verified",
            "generation_mode": "batch",
        },
        None,
    ),
    (
        "edx.certificate.revoked",
        "server",
        {"user_id": 42, "course_id": COURSE, "certificate_id": "c3rt1d", "enrollment_mode": "verified"},
        None,
    ),
    (
        "edx.certificate.shared",
        "server",
        {
            "user_id": 42,
            "course_id": COURSE,
            "certificate_id": "c3rt1d",
            "certificate_url": "https://courses.example.org/certificates/c3rt1d",
            "social_network": "linkedin",
            "enrollment_mode": "verified",
        },
        None,
    ),
    (
        "edx.certificate.evidence_visited",
        "server",
        {
            "user_id": 42,
            "course_id": COURSE,
            "certificate_id": "c3rt1d",
            "certificate_url": "https://courses.example.org/certificates/c3rt1d",
            "social_network": "linkedin",
            "source_url": "https://www.linkedin.com/",
            "enrollment_mode": "verified",
        },
        None,
    ),
    ("edx.certificate.generation.enabled", "server", {"course_id": COURSE}, None),
    ("edx.certificate.generation.disabled", "server", {"course_id": COURSE}, None),
    (
        "edx.badge.assertion.created",
        "server",
        {
            "user_id": 42,
            "course_id": COURSE,
            "enrollment_mode": "verified",
            "assertion_id": 9,
            "badge_slug": "completion",
            "badge_name": "Demo",
            "issuing_component": "",
            "assertion_image_url": "https://badges.example.org/i.png",
            "assertion_json_url": "https://badges.example.org/a.json",
            "issuer": "https://badges.example.org/issuer",
        },
        None,
    ),
    (
        "edx.badge.assertion.shared",
        "server",
        {"user_id": 42, "course_id": COURSE, "assertion_id": 9, "social_network": "twitter"},
        None,
    ),
    (
        "edx.badge.assertion.evidence_visited",
        "server",
        {"user_id": 42, "course_id": COURSE, "assertion_id": 9},
        None,
    ),
    # cohorts (learner side)
    ("edx.cohort.created", "server", {"cohort_id": 4, "cohort_name": "Group A"}, None),
    ("edx.cohort.user_added", "server", {"cohort_id": 4, "cohort_name": "Group A", "user_id": 42}, None),
    ("edx.cohort.user_removed", "server", {"cohort_id": 4, "cohort_name": "Group A", "user_id": 42}, None),
    ("edx.cohort.creation_requested", "server", {"cohort_id": 4, "cohort_name": "Group A"}, None),
    (
        "edx.cohort.user_add_requested",
        "server",
        {
            "cohort_id": 4,
            "cohort_name": "Group A",
            "user_id": 43,
            "previous_cohort_id": None,
            "previous_cohort_name": None,
        },
        None,
    ),
    # completion
    ("edx.done.toggled", "server", {"done": True}, DONE),
    # content libraries and content experiments
    (
        "edx.librarycontentblock.content.assigned",
        "server",
        {
            "added": [
                {
                    "usage_key": PROBLEM,
                    "original_usage_key": PROBLEM,
                    "original_usage_version": "1",
                    "descendants": [],
                }
            ],
            "result": [],
            "previous_count": 0,
            "max_count": 1,
            "location": BLOCK.format("library_content", "11"),
        },
        None,
    ),
    (
        "edx.librarycontentblock.content.removed",
        "server",
        {
            "removed": [],
            "result": [],
            "reason": "overlimit",
            "previous_count": 2,
            "max_count": 1,
            "location": BLOCK.format("library_content", "11"),
        },
        None,
    ),
    (
        "xmodule.partitions.assigned_user_to_partition",
        "server",
        {"group_id": 1, "group_name": "B", "partition_id": 50, "partition_name": "Experiment"},
        None,
    ),
    ("xblock.split_test.child_render", "server", {"child_id": HTML}, None),
    # forums
    (
        "edx.forum.comment.created",
        "server",
        {
            **_forum,
            "body": "Thanks, that helped!",
            "truncated": False,
            "id": COMMENT,
            "options": {"followed": False},
            "discussion": {"id": THREAD},
            "response": {"id": RESPONSE},
        },
        None,
    ),
    (
        "edx.forum.response.created",
        "server",
        {
            **_forum,
            "body": "Try lowering the learning rate.",
            "truncated": False,
            "id": RESPONSE,
            "options": {"followed": False},
            "discussion": {"id": THREAD},
        },
        None,
    ),
    (
        "edx.forum.response.voted",
        "server",
        {**_forum, "id": RESPONSE, "target_username": OTHER_LEARNER, "undo_vote": False, "vote_value": "up"},
        None,
    ),
    (
        "edx.forum.searched",
        "server",
        {"query": "learning rate", "page": 1, "total_results": 12, "corrected_text": None, "group_id": None},
        None,
    ),
    (
        "edx.forum.thread.created",
        "server",
        {
            **_forum,
            "body": "Why does my loss diverge?",
            "title": "Loss diverges",
            "truncated": False,
            "title_truncated": False,
            "id": THREAD,
            "thread_type": "question",
            "anonymous": False,
            "anonymous_to_peers": False,
            "options": {"followed": True},
            "group_id": None,
        },
        None,
    ),
    (
        "edx.forum.thread.viewed",
        "server",
        {
            **_forum,
            "id": THREAD,
            "title": "Loss diverges",
            "title_truncated": False,
            "target_username": OTHER_LEARNER,
        },
        None,
    ),
    (
        "edx.forum.thread.voted",
        "server",
        {**_forum, "id": THREAD, "target_username": OTHER_LEARNER, "undo_vote": False, "vote_value": "up"},
        None,
    ),
    # drag and drop
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
    # notes
    (
        "edx.course.student_notes.added",
        "server",
        {
            "component_usage_id": HTML,
            "highlighted_content": "gradient descent",
            "note_id": "n0te1",
            "note_text": "Revise this before the exam",
            "tags": ["exam"],
            "truncated": [],
        },
        None,
    ),
    (
        "edx.course.student_notes.deleted",
        "server",
        {"component_usage_id": HTML, "note_id": "n0te1", "note_text": "Revise this", "tags": []},
        None,
    ),
    (
        "edx.course.student_notes.edited",
        "server",
        {
            "component_usage_id": HTML,
            "note_id": "n0te1",
            "note_text": "Revise this!",
            "old_note_text": "Revise this",
            "tags": [],
            "old_tags": [],
        },
        None,
    ),
    ("edx.course.student_notes.notes_page_viewed", "server", {"view": "Recent Activity"}, None),
    ("edx.course.student_notes.searched", "server", {"number_of_results": 2, "search_string": "exam"}, None),
    (
        "edx.course.student_notes.used_unit_link",
        "server",
        {"component_usage_id": HTML, "note_id": "n0te1", "view": "Search Results"},
        None,
    ),
    ("edx.course.student_notes.viewed", "server", {"notes": [{"note_id": "n0te1"}]}, None),
    # open response assessment
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
    # peer instruction
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
    # polls and surveys
    ("xblock.poll.submitted", "server", {"url_name": "poll1", "choice": "yes"}, POLL),
    ("xblock.poll.view_results", "server", {}, POLL),
    (
        "xblock.survey.submitted",
        "server",
        {"url_name": "survey1", "choices": {"enjoy": "Y", "learn": "N"}},
        SURVEY,
    ),
    ("xblock.survey.view_results", "server", {}, SURVEY),
    # pre-roll video
    (
        "edx.video.bumper.dismissed",
        "browser",
        {"bumper_id": "/assets/bumper.mp4", "code": "html5", "duration": 8, "host_component_id": "5c3e9a11"},
        VIDEO,
    ),
    (
        "edx.video.bumper.loaded",
        "browser",
        {"bumper_id": "/assets/bumper.mp4", "code": "html5", "host_component_id": "5c3e9a11"},
        VIDEO,
    ),
    (
        "edx.video.bumper.played",
        "browser",
        {
            "bumper_id": "/assets/bumper.mp4",
            "code": "html5",
            "currentTime": 0,
            "duration": 8,
            "host_component_id": "5c3e9a11",
        },
        VIDEO,
    ),
    (
        "edx.video.bumper.skipped",
        "browser",
        {
            "bumper_id": "/assets/bumper.mp4",
            "code": "html5",
            "currentTime": 3,
            "duration": 8,
            "host_component_id": "5c3e9a11",
        },
        VIDEO,
    ),
    (
        "edx.video.bumper.stopped",
        "browser",
        {
            "bumper_id": "/assets/bumper.mp4",
            "code": "html5",
            "currentTime": 8,
            "duration": 8,
            "host_component_id": "5c3e9a11",
        },
        VIDEO,
    ),
    (
        "edx.video.bumper.transcript.hidden",
        "browser",
        {
            "bumper_id": "/assets/bumper.mp4",
            "code": "html5",
            "currentTime": 2,
            "host_component_id": "5c3e9a11",
        },
        VIDEO,
    ),
    (
        "edx.video.bumper.transcript.menu.hidden",
        "browser",
        {"bumper_id": "/assets/bumper.mp4", "code": "html5", "host_component_id": "5c3e9a11"},
        VIDEO,
    ),
    (
        "edx.video.bumper.transcript.menu.shown",
        "browser",
        {"bumper_id": "/assets/bumper.mp4", "code": "html5", "host_component_id": "5c3e9a11"},
        VIDEO,
    ),
    (
        "edx.video.bumper.transcript.shown",
        "browser",
        {
            "bumper_id": "/assets/bumper.mp4",
            "code": "html5",
            "currentTime": 2,
            "host_component_id": "5c3e9a11",
        },
        VIDEO,
    ),
    # problems
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
    # teams
    ("edx.team.activity_updated", "server", {"team_id": "t1"}, None),
    (
        "edx.team.changed",
        "server",
        {"team_id": "t1", "field": "description", "old": "A", "new": "B", "truncated": []},
        None,
    ),
    ("edx.team.created", "server", {"team_id": "t1"}, None),
    ("edx.team.deleted", "server", {"team_id": "t1"}, None),
    (
        "edx.team.learner_added",
        "server",
        {"add_method": "joined_from_team_view", "team_id": "t1", "user_id": 42},
        None,
    ),
    (
        "edx.team.learner_removed",
        "server",
        {"remove_method": "self_removal", "team_id": "t1", "user_id": 42},
        None,
    ),
    (
        "edx.team.page_viewed",
        "browser",
        {"page_name": "single-team", "team_id": "t1", "topic_id": "topic1"},
        None,
    ),
    (
        "edx.team.searched",
        "server",
        {"number_of_results": 3, "search_text": "robots", "topic_id": "topic1"},
        None,
    ),
    # textbooks
    (
        "book",
        "browser",
        {
            "type": "gotopage",
            "old": 1,
            "new": 5,
            "chapter": "/asset-v1:OpenedX+DemoX+2024_T1+type@asset+block/ch1.pdf",
            "name": "textbook.pdf.page.loaded",
        },
        None,
    ),
    (
        "textbook.pdf.thumbnails.toggled",
        "browser",
        {"chapter": "/ch1.pdf", "name": "textbook.pdf.thumbnails.toggled", "page": 5},
        None,
    ),
    (
        "textbook.pdf.thumbnail.navigated",
        "browser",
        {
            "chapter": "/ch1.pdf",
            "name": "textbook.pdf.thumbnail.navigated",
            "page": 7,
            "thumbnail_title": "Page 7",
        },
        None,
    ),
    (
        "textbook.pdf.outline.toggled",
        "browser",
        {"chapter": "/ch1.pdf", "name": "textbook.pdf.outline.toggled", "page": 7},
        None,
    ),
    (
        "textbook.pdf.chapter.navigated",
        "browser",
        {"chapter": "/ch1.pdf", "chapter_title": "Optimisers", "name": "textbook.pdf.chapter.navigated"},
        None,
    ),
    (
        "textbook.pdf.page.navigated",
        "browser",
        {"chapter": "/ch1.pdf", "name": "textbook.pdf.page.navigated", "page": 8},
        None,
    ),
    (
        "textbook.pdf.zoom.buttons.changed",
        "browser",
        {"chapter": "/ch1.pdf", "direction": "in", "name": "textbook.pdf.zoom.buttons.changed", "page": 8},
        None,
    ),
    (
        "textbook.pdf.zoom.menu.changed",
        "browser",
        {"amount": "1.25", "chapter": "/ch1.pdf", "name": "textbook.pdf.zoom.menu.changed", "page": 8},
        None,
    ),
    (
        "textbook.pdf.display.scaled",
        "browser",
        {"amount": "1.5", "chapter": "/ch1.pdf", "name": "textbook.pdf.display.scaled", "page": 8},
        None,
    ),
    (
        "textbook.pdf.page.scrolled",
        "browser",
        {"chapter": "/ch1.pdf", "direction": "down", "name": "textbook.pdf.page.scrolled", "page": 9},
        None,
    ),
    (
        "textbook.pdf.search.executed",
        "browser",
        {
            "caseSensitive": False,
            "chapter": "/ch1.pdf",
            "highlightAll": True,
            "name": "textbook.pdf.search.executed",
            "page": 9,
            "query": "momentum",
            "status": None,
        },
        None,
    ),
    (
        "textbook.pdf.search.navigatednext",
        "browser",
        {
            "caseSensitive": False,
            "chapter": "/ch1.pdf",
            "findprevious": False,
            "highlightAll": True,
            "name": "textbook.pdf.search.navigatednext",
            "page": 9,
            "query": "momentum",
            "status": None,
        },
        None,
    ),
    (
        "textbook.pdf.search.highlight.toggled",
        "browser",
        {
            "caseSensitive": False,
            "chapter": "/ch1.pdf",
            "highlightAll": False,
            "name": "textbook.pdf.search.highlight.toggled",
            "page": 9,
            "query": "momentum",
            "status": None,
        },
        None,
    ),
    (
        "textbook.pdf.searchcasesensitivity.toggled",
        "browser",
        {
            "caseSensitive": True,
            "chapter": "/ch1.pdf",
            "highlightAll": True,
            "name": "textbook.pdf.searchcasesensitivity.toggled",
            "page": 9,
            "query": "momentum",
            "status": None,
        },
        None,
    ),
    # third-party components
    (
        "edx.googlecomponent.calendar.displayed",
        "server",
        {"url": "https://calendar.google.com/calendar/embed?src=x"},
        BLOCK.format("google-calendar", "g1"),
    ),
    (
        "edx.googlecomponent.document.displayed",
        "server",
        {"url": "https://docs.google.com/presentation/d/x/embed"},
        BLOCK.format("google-document", "g2"),
    ),
    (
        "oppia.exploration.loaded",
        "server",
        {"exploration_id": "e1", "exploration_version": 3},
        BLOCK.format("oppia", "o1"),
    ),
    (
        "oppia.exploration.state.changed",
        "server",
        {"exploration_id": "e1", "exploration_version": 3, "new_state_name": "B", "old_state_name": "A"},
        BLOCK.format("oppia", "o1"),
    ),
    (
        "oppia.exploration.completed",
        "server",
        {"exploration_id": "e1", "exploration_version": 3},
        BLOCK.format("oppia", "o1"),
    ),
    ("microsoft.office.mix.loaded", "server", {}, BLOCK.format("officemix", "m1")),
    ("microsoft.office.mix.played", "server", {}, BLOCK.format("officemix", "m1")),
    ("microsoft.office.mix.paused", "server", {}, BLOCK.format("officemix", "m1")),
    ("microsoft.office.mix.stopped", "server", {}, BLOCK.format("officemix", "m1")),
    ("microsoft.office.mix.slide.loaded", "server", {"slide": 2}, BLOCK.format("officemix", "m1")),
    # timed and proctored exams
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
    # video
    ("hide_transcript", "browser", _video, VIDEO),
    ("edx.video.transcript.hidden", "mobile", _video, VIDEO),
    ("edx.video.closed_captions.hidden", "browser", _video, VIDEO),
    ("edx.video.closed_captions.shown", "browser", _video, VIDEO),
    ("load_video", "browser", {"id": "5c3e9a11", "code": "html5"}, VIDEO),
    ("edx.video.loaded", "mobile", {"id": "5c3e9a11", "code": "mobile"}, VIDEO),
    ("pause_video", "browser", _video, VIDEO),
    ("edx.video.paused", "mobile", _video, VIDEO),
    ("play_video", "browser", _video, VIDEO),
    ("edx.video.played", "mobile", _video, VIDEO),
    (
        "seek_video",
        "browser",
        {"id": "5c3e9a11", "code": "html5", "old_time": 10, "new_time": 30, "type": "onSlideSeek"},
        VIDEO,
    ),
    (
        "edx.video.position.changed",
        "mobile",
        {"id": "5c3e9a11", "code": "mobile", "old_time": 30, "new_time": 10, "type": "onSkipSeek"},
        VIDEO,
    ),
    ("show_transcript", "browser", _video, VIDEO),
    ("edx.video.transcript.shown", "mobile", _video, VIDEO),
    (
        "speed_change_video",
        "browser",
        {"id": "5c3e9a11", "code": "html5", "current_time": 12, "old_speed": "1.0", "new_speed": "1.50"},
        VIDEO,
    ),
    ("stop_video", "browser", _video, VIDEO),
    ("edx.video.stopped", "mobile", _video, VIDEO),
    (
        "complete_video",
        "browser",
        {"id": "5c3e9a11", "code": "html5", "currentTime": 300, "duration": 300},
        VIDEO,
    ),
    (
        "edx.video.completed",
        "mobile",
        {"id": "5c3e9a11", "code": "mobile", "currentTime": 300, "duration": 300},
        VIDEO,
    ),
    ("video_hide_cc_menu", "browser", _video, VIDEO),
    ("edx.video.language_menu.hidden", "browser", {**_video, "language": "en"}, VIDEO),
    ("video_show_cc_menu", "browser", _video, VIDEO),
    ("edx.video.language_menu.shown", "browser", _video, VIDEO),
    # open response assessment (deprecated, combined open-ended)
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
    # course-team events (instructor dashboard, grading): staff actions, with a user
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
            "user_id": 42,
            "course_id": COURSE,
            "problem_id": PROBLEM,
            "weighted_earned": 1,
            "weighted_possible": 1,
        },
        PROBLEM,
    ),
    (
        "edx.grades.problem.rescored",
        "server",
        {
            "user_id": 42,
            "course_id": COURSE,
            "problem_id": PROBLEM,
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
            "user_id": 42,
            "course_id": COURSE,
            "problem_id": PROBLEM,
            "new_weighted_earned": 1,
            "new_weighted_possible": 1,
        },
        PROBLEM,
    ),
    (
        "edx.grades.problem.state_deleted",
        "server",
        {"user_id": 42, "course_id": COURSE, "problem_id": PROBLEM, "instructor_id": 7},
        PROBLEM,
    ),
]


def _time(i: int) -> str:
    return (dt.datetime(2024, 3, 4, 10, 0, tzinfo=dt.UTC) + dt.timedelta(seconds=i)).isoformat()


def reference_lines(username: str = "learner_a") -> list[str]:
    """One tracking-log line per row of ``REFERENCE``: browser events with ``event`` as a
    JSON string, server and mobile events with an object, the common fields around it."""
    lines = []
    for i, (etype, source, event, module) in enumerate(REFERENCE):
        context: dict = {"course_id": COURSE, "org_id": "OpenedX", "user_id": 42, "path": "/event"}
        if module:
            context["module"] = {"usage_key": module, "display_name": "Block " + module.rsplit("@", 1)[1]}
        if source == "mobile":
            context["application"] = {"name": "edx.mobileapp.iOS", "version": "4.0"}
        line = {
            "username": username,
            "event_type": etype,
            "name": etype if "." in etype and not etype.startswith("/") else None,
            "event_source": source,
            "time": _time(i),
            "session": "a5f1c0e6a9b8d7c6e5f4a3b2c1d0e9f8",
            "context": context,
            "page": f"https://{PRIVATE['host']}/courses/{COURSE}/courseware/week_1/seq_1/1" if source == "browser" else None,
            "event": json.dumps(event) if source == "browser" and not isinstance(event, str) else event,
            **PRIVATE,
        }  # fmt: skip
        if line["name"] is None:
            del line["name"]
        lines.append(json.dumps(line))
    return lines


REFERENCE_TYPES = frozenset(etype for etype, *_ in REFERENCE)
