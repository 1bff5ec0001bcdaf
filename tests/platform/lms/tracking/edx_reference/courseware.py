"""Learner events around the content: enrollment, navigation, bookmarks and tools,
certificates and badges, cohorts, completion, content libraries and experiments,
third-party components.

Rows of ``edx_reference.REFERENCE``: (event_type, event_source, event, module usage key or None)."""

from __future__ import annotations

from .common import BLOCK, COURSE, DONE, HTML, PROBLEM, SEQUENTIAL, Row

# what the bookmark events name (the bookmarked block) and the certificate events (the
# learner's certificate in the course)
_BOOKMARK = {"bookmark_id": "learner_a,block-v1", "component_type": "vertical", "component_usage_id": HTML}
_CERTIFICATE = {
    "user_id": 42,
    "course_id": COURSE,
    "certificate_id": "c3rt1d",
    "certificate_url": "https://courses.example.org/certificates/c3rt1d",
}


# enrollment
ENROLLMENT: list[Row] = [
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
]


# navigation
NAVIGATION: list[Row] = [
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
]


# course resources: bookmarks and tools
COURSE_RESOURCES: list[Row] = [
    (
        "edx.bookmark.accessed",
        "browser",
        _BOOKMARK,
        None,
    ),
    (
        "edx.bookmark.added",
        "server",
        {**_BOOKMARK, "course_id": COURSE},
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
        {**_BOOKMARK, "course_id": COURSE},
        None,
    ),
    (
        "edx.course.bookmark.added",
        "server",
        _BOOKMARK,
        None,
    ),
    (
        "edx.course.bookmark.removed",
        "server",
        _BOOKMARK,
        None,
    ),
    ("edx.course.bookmark.listed", "server", {"bookmarks_count": 3, "list_type": "all_courses"}, None),
    ("edx.course.tool.accessed", "browser", {"tool_name": "edx.bookmarks"}, None),
]


# certificates and badges
CERTIFICATES: list[Row] = [
    (
        "edx.certificate.created",
        "server",
        {
            **_CERTIFICATE,
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
            **_CERTIFICATE,
            "social_network": "linkedin",
            "enrollment_mode": "verified",
        },
        None,
    ),
    (
        "edx.certificate.evidence_visited",
        "server",
        {
            **_CERTIFICATE,
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
]


# cohorts (learner side)
COHORTS: list[Row] = [
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
]


# completion
COMPLETION: list[Row] = [
    ("edx.done.toggled", "server", {"done": True}, DONE),
]


# content libraries and content experiments
CONTENT_LIBRARIES: list[Row] = [
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
]


# third-party components
THIRD_PARTY: list[Row] = [
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
]
