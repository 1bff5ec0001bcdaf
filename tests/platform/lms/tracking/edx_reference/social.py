"""Learner events with other learners: forums, notes, teams.

Rows of ``edx_reference.REFERENCE``: (event_type, event_source, event, module usage key or None)."""

from __future__ import annotations

from .common import COMMENT, COURSE, HTML, OTHER_LEARNER, RESPONSE, THREAD, Row

_forum = {"commentable_id": "course", "user_forums_roles": ["Student"], "user_course_roles": [],
          "url": f"https://courses.example.org/courses/{COURSE}/discussion/forum/course/threads/{THREAD}",
          "team_id": None, "category_id": "i4x-OpenedX-DemoX-course-2024", "category_name": "General"}  # fmt: skip


def _reply(body: str, own_id: str, **more: object) -> dict:
    """The event of a forum response or comment: its text and id, in the thread."""
    return {**_forum, "body": body, "truncated": False, "id": own_id, "options": {"followed": False},
            "discussion": {"id": THREAD}, **more}  # fmt: skip


# forums
FORUMS: list[Row] = [
    (
        "edx.forum.comment.created",
        "server",
        _reply("Thanks, that helped!", COMMENT, response={"id": RESPONSE}),
        None,
    ),
    (
        "edx.forum.response.created",
        "server",
        _reply("Try lowering the learning rate.", RESPONSE),
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
]


# notes
NOTES: list[Row] = [
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
]


# teams
TEAMS: list[Row] = [
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
]
