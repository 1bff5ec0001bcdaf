"""The Open edX event-type table: which canonical verb each tracking-log event type maps
to (``EDX_TYPES``, ``edx_verb``), which types are passed through (``PASS_THROUGH``,
``BROWSER_COPIES``), the type written back for each verb (``VERB_TO_EDX``), enrollment
modes -> tracks, and how a block's usage key becomes an activity (``event_block_key``,
``block_activity``). The mapping, type by type, is in docs/events.md; reading and writing
lines is ``edx.py``, the payload of each mapped type ``edx_payloads.py``.
"""

from __future__ import annotations

import re

from lms.tracking.vocabulary import VERBS

VIDEO_TYPES = {
    "load_video": "video.loaded",
    "edx.video.loaded": "video.loaded",
    "play_video": "video.played",
    "edx.video.played": "video.played",
    "pause_video": "video.paused",
    "stop_video": "video.paused",
    "edx.video.paused": "video.paused",
    "edx.video.stopped": "video.paused",
    "seek_video": "video.seeked",
    "edx.video.position.changed": "video.seeked",
    "speed_change_video": "video.speed_changed",
    "complete_video": "video.completed",
    "edx.video.completed": "video.completed",
    "show_transcript": "video.transcript_shown",
    "edx.video.transcript.shown": "video.transcript_shown",
    "edx.video.closed_captions.shown": "video.transcript_shown",
    "hide_transcript": "video.transcript_hidden",
    "edx.video.transcript.hidden": "video.transcript_hidden",
    "edx.video.closed_captions.hidden": "video.transcript_hidden",
}
EDX_TYPES: dict[str, str] = {
    **VIDEO_TYPES,
    # problems (server events; their browser copies are passed through, see BROWSER_COPIES)
    "problem_check": "quiz.answered",
    "save_problem_check": "quiz.answered",  # problem_check's name before 15 Oct 2013
    "edx.drag_and_drop_v2.item.dropped": "quiz.answered",
    "edx.problem.hint.demandhint_displayed": "quiz.hint_shown",
    "edx.problem.hint.feedback_displayed": "quiz.hint_shown",
    "showanswer": "quiz.answer_shown",
    "save_problem_success": "quiz.saved",
    "reset_problem": "quiz.reset",
    "problem_rescore": "quiz.rescored",
    # navigation
    "seq_goto": "navigation.page_viewed",
    "seq_next": "navigation.page_viewed",
    "seq_prev": "navigation.page_viewed",
    "edx.course.tool.accessed": "navigation.page_viewed",
    "edx.ui.lms.outline.selected": "navigation.outline_selected",
    "edx.ui.lms.jump_nav.selected": "navigation.outline_selected",
    "edx.ui.lms.link_clicked": "navigation.link_clicked",
    "page_close": "navigation.page_closed",
    "edx.forum.searched": "navigation.searched",
    "edx.team.searched": "navigation.searched",
    "edx.course.student_notes.searched": "navigation.searched",
    "textbook.pdf.search.executed": "navigation.searched",
    "edx.course.search.results_displayed": "navigation.searched",
    # textbooks
    "book": "textbook.page_turned",
    "textbook.pdf.page.navigated": "textbook.page_turned",
    "textbook.pdf.thumbnail.navigated": "textbook.page_turned",
    "textbook.pdf.chapter.navigated": "textbook.page_turned",
    "textbook.pdf.page.scrolled": "textbook.page_turned",
    # course resources
    "edx.bookmark.added": "bookmark.added",
    "edx.bookmark.removed": "bookmark.removed",
    "edx.bookmark.accessed": "bookmark.opened",
    "edx.course.bookmark.added": "bookmark.added",  # the names the reference also uses
    "edx.course.bookmark.removed": "bookmark.removed",
    "edx.course.student_notes.added": "note.added",
    "edx.course.student_notes.edited": "note.edited",
    "edx.course.student_notes.deleted": "note.deleted",
    "edx.done.toggled": "completion.toggled",
    "xblock.poll.submitted": "survey.submitted",
    "xblock.survey.submitted": "survey.submitted",
    "openassessmentblock.create_submission": "assessment.submitted",
    "openassessmentblock.peer_assess": "assessment.assessed",
    "openassessmentblock.self_assess": "assessment.assessed",
    "openassessment.student_training_assess_example": "assessment.assessed",
    # forums
    "edx.forum.thread.created": "discussion.posted",
    "edx.forum.response.created": "discussion.replied",
    "edx.forum.comment.created": "discussion.replied",
    "edx.forum.thread.viewed": "discussion.viewed",
    "edx.forum.thread.voted": "discussion.voted",
    "edx.forum.response.voted": "discussion.voted",
    # enrollment and certificates
    "edx.course.enrollment.activated": "enrollment.activated",
    "edx.course.enrollment.deactivated": "enrollment.deactivated",
    "edx.course.enrollment.mode_changed": "enrollment.track_changed",
    "edx.certificate.created": "certificate.earned",
}
# Browser events that repeat a server event of the same action: passed through, so the
# verb is counted once (from the server's event, which carries the outcome).
CHECK_TYPES = frozenset({"problem_check", "save_problem_check"})
BROWSER_COPIES = frozenset(
    {"problem_check", "problem_graded", "problem_show", "problem_save", "problem_reset"}
)
PASS_THROUGH = "external.edx"
# Mapped types whose event is laid out unlike their verb's usual type: exported as that type.
OWN_LAYOUT = frozenset({"edx.drag_and_drop_v2.item.dropped", "edx.course.tool.accessed"})
SEQUENCE_PREFIX = "edx.ui.lms.sequence."
SPECIAL_EXAM_PREFIX = "edx.special_exam."
CAIRN_PREFIX = "cairn."
# The edX type written for each verb (unless the payload's edx_type names another of it).
VERB_TO_EDX = {
    "video.loaded": "load_video",
    "video.played": "play_video",
    "video.paused": "pause_video",
    "video.seeked": "seek_video",
    "video.speed_changed": "speed_change_video",
    "video.completed": "complete_video",
    "video.transcript_shown": "show_transcript",
    "video.transcript_hidden": "hide_transcript",
    "quiz.answered": "problem_check",
    "navigation.page_viewed": "seq_goto",
    "navigation.outline_selected": "edx.ui.lms.outline.selected",
    "enrollment.activated": "edx.course.enrollment.activated",
    "enrollment.deactivated": "edx.course.enrollment.deactivated",
}
# edX enrollment modes -> Cairn tracks; a mode that is not itself a track is kept as "mode".
TRACKS = {
    "audit": "audit",
    "honor": "audit",
    "verified": "verified",
    "professional": "verified",
    "no-id-professional": "verified",
    "credit": "verified",
    "masters": "verified",
    "executive-education": "verified",
    "external": "external",
}
# usage-key block types <-> Cairn activity kinds
BLOCK_KINDS = {
    "video": "video", "problem": "quiz", "lab": "lab", "html": "reading", "reading": "reading",
    "openassessment": "quiz", "drag-and-drop-v2": "quiz",  # as the course-structure import has them
}  # fmt: skip
KIND_BLOCKS = {"video": "video", "quiz": "problem", "lab": "lab", "reading": "html"}
NAMESPACE_KINDS = {"video": "video", "quiz": "quiz", "lab": "lab"}  # verb namespace -> kind
# event fields naming the block an event is about when context.module does not, by namespace
BLOCK_FIELDS = {
    "video": ("id", "module_id"),
    "quiz": ("problem_id", "module_id", "exam_content_id"),
    "bookmark": ("component_usage_id", "usage_key"),
    "note": ("component_usage_id", "usage_id"),
}
NO_ACTIVITY_NAMESPACES = frozenset({"enrollment", "certificate", "discussion"})

_I4X_HTML_ID = re.compile(r"^i4x-[^-]+-[^-]+-([a-z]+)-(.+)$")
_SPECIAL_EXAM_STARTED = re.compile(r"^edx\.special_exam\.(proctored|practice|timed)\.attempt\.started$")


def block_id(key: str) -> str:
    """The block part of a usage key or an HTML element id: ``block-v1:O+C+R+type@video+
    block@abc`` -> ``abc``; ``i4x://O/C/video/abc`` -> ``abc``; ``i4x-O-C-video-abc`` -> ``abc``."""
    if "block@" in key:
        return key.rsplit("block@", 1)[1]
    if key.startswith("i4x://"):
        return key.rstrip("/").rsplit("/", 1)[1]
    match = _I4X_HTML_ID.match(key)
    return match.group(2) if match else key


def block_type(key: str) -> str | None:
    if "type@" in key:
        return key.split("type@", 1)[1].split("+", 1)[0]
    if key.startswith("i4x://"):
        parts = key.split("/")
        return parts[4] if len(parts) > 5 else None
    match = _I4X_HTML_ID.match(key)
    return match.group(1) if match else None


def edx_verb(etype: str) -> str | None:
    """The canonical verb of an edX event type, or None for the types passed through."""
    verb = EDX_TYPES.get(etype)
    if verb is None:
        if etype.startswith("/"):  # an implicit event: a page the server served
            return "navigation.page_viewed"
        if etype.startswith(SEQUENCE_PREFIX):
            return "navigation.page_viewed"
        if etype.startswith(SPECIAL_EXAM_PREFIX) and _SPECIAL_EXAM_STARTED.match(etype):
            return "quiz.started"
        if etype.startswith(CAIRN_PREFIX) and etype[len(CAIRN_PREFIX) :] in VERBS:
            return etype[len(CAIRN_PREFIX) :]
    return verb


def event_block_key(namespace: str, event: dict, context: dict) -> str | None:
    """The usage key (or a video's id) of the course block an edX event is about:
    ``context.module.usage_key``, else an event field that names it (``BLOCK_FIELDS``)."""
    module = context.get("module")
    if isinstance(module, dict):
        key = module.get("usage_key")
        if isinstance(key, str) and key:
            return key
    for name in BLOCK_FIELDS.get(namespace, ()):
        key = event.get(name)
        if isinstance(key, str) and key:
            return key
    return None


def block_activity(key: str, namespace: str) -> tuple[str, str]:
    """(the activity's external key, its kind) for a block's usage key: the block id (so
    an event and the course structure name the same activity), and the kind of the
    block type, else of the verb's namespace, else reading."""
    kind = BLOCK_KINDS.get(block_type(key) or "")
    return block_id(key)[:200], kind or NAMESPACE_KINDS.get(namespace, "reading")
