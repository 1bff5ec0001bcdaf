"""Video (pre-roll too) and textbook events.

Rows of ``edx_reference.REFERENCE``: (event_type, event_source, event, module usage key or None)."""

from __future__ import annotations

from .common import VIDEO, Row

_video = {"id": "5c3e9a11", "code": "html5", "currentTime": 42.5}


def _bumper(etype: str, **timing: float) -> Row:
    """A pre-roll (bumper) video event: the bumper's ids around its ``currentTime`` and
    ``duration``, when the event has them."""
    event = {"bumper_id": "/assets/bumper.mp4", "code": "html5", **timing, "host_component_id": "5c3e9a11"}
    return (etype, "browser", event, VIDEO)


def _pdf(etype: str, **fields: object) -> Row:
    """A PDF textbook viewer event: the chapter, the event's own name and its ``fields``,
    keys in alphabetical order (as the viewer sends them)."""
    return (etype, "browser", dict(sorted({"chapter": "/ch1.pdf", "name": etype, **fields}.items())), None)


def _pdf_search(etype: str, **fields: object) -> Row:
    """A search event of the PDF viewer: page 9, the query "momentum" and the search's settings."""
    return _pdf(etype, page=9, query="momentum", status=None, **fields)


# pre-roll video
PRE_ROLL_VIDEO: list[Row] = [
    _bumper("edx.video.bumper.dismissed", duration=8),
    _bumper("edx.video.bumper.loaded"),
    _bumper("edx.video.bumper.played", currentTime=0, duration=8),
    _bumper("edx.video.bumper.skipped", currentTime=3, duration=8),
    _bumper("edx.video.bumper.stopped", currentTime=8, duration=8),
    _bumper("edx.video.bumper.transcript.hidden", currentTime=2),
    _bumper("edx.video.bumper.transcript.menu.hidden"),
    _bumper("edx.video.bumper.transcript.menu.shown"),
    _bumper("edx.video.bumper.transcript.shown", currentTime=2),
]


# textbooks
TEXTBOOKS: list[Row] = [
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
    _pdf("textbook.pdf.thumbnails.toggled", page=5),
    _pdf("textbook.pdf.thumbnail.navigated", page=7, thumbnail_title="Page 7"),
    _pdf("textbook.pdf.outline.toggled", page=7),
    _pdf("textbook.pdf.chapter.navigated", chapter_title="Optimisers"),
    _pdf("textbook.pdf.page.navigated", page=8),
    _pdf("textbook.pdf.zoom.buttons.changed", direction="in", page=8),
    _pdf("textbook.pdf.zoom.menu.changed", amount="1.25", page=8),
    _pdf("textbook.pdf.display.scaled", amount="1.5", page=8),
    _pdf("textbook.pdf.page.scrolled", direction="down", page=9),
    _pdf_search("textbook.pdf.search.executed", caseSensitive=False, highlightAll=True),
    _pdf_search(
        "textbook.pdf.search.navigatednext", caseSensitive=False, findprevious=False, highlightAll=True
    ),
    _pdf_search("textbook.pdf.search.highlight.toggled", caseSensitive=False, highlightAll=False),
    _pdf_search("textbook.pdf.searchcasesensitivity.toggled", caseSensitive=True, highlightAll=True),
]


# video
VIDEO_EVENTS: list[Row] = [
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
]
