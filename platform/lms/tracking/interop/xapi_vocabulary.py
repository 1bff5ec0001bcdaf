"""The xAPI vocabulary Cairn reads and writes: the IRIs of the verbs, activity types and
profiles (ADL, the xAPI Video Profile, the LMS Profile, Activity Streams), the xAPI verb
ids read (``VERB_IDS``) and written for each canonical verb (``EXPORT_VERBS``), and the
Video Profile's played-segments text (``segments_parse``, ``segments_format``).
"""

from __future__ import annotations

from typing import Any

from .records import number

ADL = "http://adlnet.gov/expapi/verbs/"
VIDEO = "https://w3id.org/xapi/video/"
VIDEO_VERBS = VIDEO + "verbs/"
VIDEO_EXT = VIDEO + "extensions/"
VIDEO_TYPE = VIDEO + "activity-type/video"
VIDEO_CATEGORY = "https://w3id.org/xapi/video"
ASSESSMENT_TYPE = "http://adlnet.gov/expapi/activities/question"
COURSE_TYPE = "http://adlnet.gov/expapi/activities/course"
PAGE_TYPE = "http://activitystrea.ms/schema/1.0/page"
NAVIGATED = "https://w3id.org/xapi/dod-isd/verbs/navigated"
VIEWED = "http://id.tincanapi.com/verb/viewed"
EVALUATED = "https://w3id.org/xapi/acrossx/verbs/evaluated"
UNREGISTERED = "http://id.tincanapi.com/verb/unregistered"
PROFILE_TYPE = "http://adlnet.gov/expapi/activities/profile"
LMS_CATEGORY = "https://w3id.org/xapi/lms"
LMS_ROLE = "https://w3id.org/xapi/lms/extensions/role"

VERB_IDS = {
    VIDEO_VERBS + "played": "played",
    VIDEO_VERBS + "paused": "paused",
    VIDEO_VERBS + "seeked": "seeked",
    ADL + "completed": "completed",
    ADL + "initialized": "initialized",
    ADL + "terminated": "terminated",
    ADL + "interacted": "interacted",
    ADL + "answered": "answered",
    EVALUATED: "evaluated",
    NAVIGATED: "navigated",
    VIEWED: "navigated",
    ADL + "registered": "registered",
    UNREGISTERED: "unregistered",
}
# canonical verb -> (xAPI verb id, display)
EXPORT_VERBS = {
    "video.loaded": (ADL + "initialized", "initialized"),
    "video.played": (VIDEO_VERBS + "played", "played"),
    "video.paused": (VIDEO_VERBS + "paused", "paused"),
    "video.seeked": (VIDEO_VERBS + "seeked", "seeked"),
    "video.completed": (ADL + "completed", "completed"),
    "video.speed_changed": (ADL + "interacted", "interacted"),
    "video.transcript_shown": (ADL + "interacted", "interacted"),
    "video.transcript_hidden": (ADL + "interacted", "interacted"),
    "quiz.answered": (ADL + "answered", "answered"),
    "navigation.page_viewed": (VIEWED, "viewed"),
    "navigation.page_closed": (ADL + "terminated", "terminated"),
    "enrollment.activated": (ADL + "registered", "registered"),
    "enrollment.deactivated": (UNREGISTERED, "unregistered"),
}


def segments_parse(value: Any) -> list[list[float]] | None:
    """``"0[.]12.5[,]30[.]41"`` -> ``[[0.0, 12.5], [30.0, 41.0]]``; malformed parts dropped."""
    if not isinstance(value, str) or not value:
        return None
    segments = []
    for part in value.split("[,]")[:1000]:
        ends = part.split("[.]")
        if len(ends) != 2:
            continue
        start, end = number(ends[0].strip()), number(ends[1].strip())
        if start is not None and end is not None and 0 <= start <= end:
            segments.append([float(start), float(end)])
    return segments


def num_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def segments_format(segments: list[list[float]]) -> str:
    return "[,]".join(f"{num_text(a)}[.]{num_text(b)}" for a, b in segments)
