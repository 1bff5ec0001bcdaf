"""The keys, ids and private fields every row of the reference corpus shares."""

from __future__ import annotations

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

# (event_type, event_source, event, module usage key or None)
Row = tuple[str, str, object, str | None]
