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

``reference_lines()`` gives the lines; ``REFERENCE`` the (type, source, event) rows, in the
reference's order, one list per event family (``courseware``, ``social``, ``assessments``,
``media``, ``course_team``; the ids they share in ``common``). Every line carries an IP
address, a user agent and a referrer from ``common.PRIVATE`` so a test can check that
none of them is stored.
"""

from __future__ import annotations

import datetime as dt
import json

from .assessments import (
    DRAG_AND_DROP,
    EXAMS,
    OPEN_RESPONSE,
    OPEN_RESPONSE_DEPRECATED,
    PEER_INSTRUCTION,
    POLLS,
    PROBLEMS,
)
from .common import COURSE, PRIVATE, Row
from .course_team import COURSE_TEAM
from .courseware import (
    CERTIFICATES,
    COHORTS,
    COMPLETION,
    CONTENT_LIBRARIES,
    COURSE_RESOURCES,
    ENROLLMENT,
    NAVIGATION,
    THIRD_PARTY,
)
from .media import PRE_ROLL_VIDEO, TEXTBOOKS, VIDEO_EVENTS
from .social import FORUMS, NOTES, TEAMS

REFERENCE: list[Row] = [
    *ENROLLMENT,
    *NAVIGATION,
    *COURSE_RESOURCES,
    *CERTIFICATES,
    *COHORTS,
    *COMPLETION,
    *CONTENT_LIBRARIES,
    *FORUMS,
    *DRAG_AND_DROP,
    *NOTES,
    *OPEN_RESPONSE,
    *PEER_INSTRUCTION,
    *POLLS,
    *PRE_ROLL_VIDEO,
    *PROBLEMS,
    *TEAMS,
    *TEXTBOOKS,
    *THIRD_PARTY,
    *EXAMS,
    *VIDEO_EVENTS,
    *OPEN_RESPONSE_DEPRECATED,
    *COURSE_TEAM,
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
