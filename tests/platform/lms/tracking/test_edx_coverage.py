"""Coverage of the Open edX tracking-log reference by ``import_events --format edx``:
every documented event type is mapped to a canonical verb or passed through as
``external.edx``, docs/events.md says which, a second import stores nothing new, and the
line's IP address, user agent and referrer never reach the store.

The corpus (the package ``edx_reference``) holds one line per event type of "Events in the
Tracking Logs",
https://edx.readthedocs.io/projects/devdata/en/latest/internal_data_formats/tracking_logs/student_event_types.html
and the alphabetical event list,
https://edx.readthedocs.io/projects/devdata/en/latest/internal_data_formats/event_list.html
"""

from __future__ import annotations

import gzip
import io
import json
import re
from pathlib import Path

import pytest
from django.core.management import call_command

from lms.accounts.models import User
from lms.courses.models import Activity
from lms.tracking.interop import events_import
from lms.tracking.interop.edx_privacy import device_class, passthrough_event, referrer_class
from lms.tracking.interop.edx_types import PASS_THROUGH
from lms.tracking.models import Event
from lms.tracking.vocabulary import VERBS
from tests.platform.lms.tracking.edx_reference import REFERENCE, REFERENCE_TYPES, reference_lines
from tests.platform.lms.tracking.edx_reference.common import OTHER_LEARNER, PRIVATE
from tests.platform.lms.tracking.importing import fresh_catalog_index, run  # noqa: F401

pytestmark = pytest.mark.django_db

DOCS = Path(__file__).resolve().parents[4] / "docs" / "events.md"


def _write(tmp_path: Path, lines: list[str], name: str = "tracking.log") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _fates() -> dict[str, str]:
    """edX type -> verb, from the stored events (each corpus line has its own second)."""
    return {e.payload["edx_type"]: e.verb for e in Event.objects.all()}


def _documented() -> tuple[dict[str, str], set[str]]:
    """(type -> verb of the mapped table, the types of the passed-through table) in docs/events.md."""
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("### Open edX tracking logs", 1)[1].split("\n### ", 1)[0]
    mapped, passed = {}, set()
    for row in section.splitlines():
        cells = row.split(" | ")
        if not row.startswith("| `") or len(cells) < 2:
            continue
        types = re.findall(r"`([^`]+)`", cells[0] if cells[0] != "|" else cells[1])
        verb = re.fullmatch(r"`([a-z_.]+)`", cells[1].strip())
        if verb and verb.group(1) in VERBS:
            mapped.update((t, verb.group(1)) for t in types)
    for row in section.splitlines():
        if row.startswith("| ") and not row.startswith("| `") and "`" in row:
            passed.update(re.findall(r"`([^`]+)`", row.split(" | ", 1)[1]))
    return mapped, passed


def test_every_documented_edx_type_is_mapped_or_passed_through_and_documented(tmp_path):
    path = _write(tmp_path, reference_lines())
    summary = run("--format", "edx", "--learner-prefix=demo-", str(path))
    n = len(REFERENCE)
    assert f"{n} lines read" in summary and f"events stored:       {n}" in summary
    assert "invalid events:      0" in summary and "bad lines:           0" in summary
    assert "skipped:             0" in summary

    fates = {}
    for event in Event.objects.all():  # one line per second: the line's index
        index = int(event.time.timestamp() - REFERENCE_TIME0)
        etype, source, *_ = REFERENCE[index]
        fates[etype, source] = event.verb
    assert len(fates) == n and set(fates.values()) <= VERBS
    mapped = {k: v for k, v in fates.items() if v != PASS_THROUGH}
    passed = {k for k, v in fates.items() if v == PASS_THROUGH}
    report = "\n".join(f"{t} ({s}) -> {v}" for (t, s), v in sorted(fates.items()))
    print(f"{len(mapped)} mapped, {len(passed)} passed through, of {n} documented types:\n{report}")
    assert len(mapped) >= 75 and {t for t, _ in fates} == REFERENCE_TYPES

    # the dropped types now have a home
    url = next(t for t in REFERENCE_TYPES if t.startswith("/"))
    for (etype, source), verb in {
        (url, "server"): "navigation.page_viewed",
        ("page_close", "browser"): "navigation.page_closed",
        ("edx.ui.lms.link_clicked", "browser"): "navigation.link_clicked",
        ("edx.forum.thread.created", "server"): "discussion.posted",
        ("edx.forum.response.created", "server"): "discussion.replied",
        ("edx.forum.comment.created", "server"): "discussion.replied",
        ("edx.forum.thread.voted", "server"): "discussion.voted",
        ("edx.course.enrollment.mode_changed", "server"): "enrollment.track_changed",
        ("book", "browser"): "textbook.page_turned",
        ("showanswer", "server"): "quiz.answer_shown",
        ("edx.problem.hint.demandhint_displayed", "server"): "quiz.hint_shown",
        ("edx.drag_and_drop_v2.item.dropped", "server"): "quiz.answered",
        ("edx.bookmark.added", "server"): "bookmark.added",
        ("edx.forum.searched", "server"): "navigation.searched",
        ("problem_check", "server"): "quiz.answered",
        ("problem_check", "browser"): PASS_THROUGH,  # the browser's copy
        ("problem_graded", "browser"): PASS_THROUGH,
        ("problem_show", "browser"): PASS_THROUGH,
    }.items():
        assert fates[etype, source] == verb, etype

    # docs/events.md lists every type with the fate it has
    documented, documented_passed = _documented()
    for (etype, _), verb in fates.items():
        key = "/<URL path>" if etype.startswith("/") else etype
        if verb == PASS_THROUGH:
            assert key in documented_passed, f"{etype} is passed through but not listed as such"
        else:
            assert documented.get(key) == verb, f"{etype}: docs say {documented.get(key)}, import says {verb}"
    assert documented_passed >= {t for (t, _), v in fates.items() if v == PASS_THROUGH}

    # the payloads hold what the verbs promise
    by_type = {e.payload["edx_type"]: e for e in Event.objects.exclude(verb=PASS_THROUGH)}
    assert by_type["edx.forum.thread.created"].payload["thread"] == "5e8d2f0a1b2c3d4e5f6a7b8c"
    assert by_type["edx.forum.comment.created"].payload["response"] == "5e8d2f0a1b2c3d4e5f6a7b8d"
    assert by_type["edx.course.enrollment.mode_changed"].payload["new_track"] == "verified"
    assert by_type["book"].payload["page"] == 5
    assert by_type["edx.drag_and_drop_v2.item.dropped"].payload["correct"] is True
    assert by_type["edx.problem.hint.demandhint_displayed"].payload == {
        "hint_len": 2, "hint_text": "Think about the slope.", "question": "0f6a1c2d", "hint": 0,
        "edx_type": "edx.problem.hint.demandhint_displayed",
    }  # fmt: skip
    shown = by_type["showanswer"]
    problem = Activity.objects.get(pk=shown.activity_id)
    assert problem.kind == "quiz" and problem.title == "Block 0f6a1c2d"
    graded = Event.objects.get(verb=PASS_THROUGH, payload__edx_type="problem_graded")
    assert graded.payload["event"][0] == "input_0f6a1c2d_2_1=choice_0" and graded.activity_id == problem.pk
    assert User.objects.filter(username="demo-learner_a", external_source="edx").exists()

    before = Event.objects.count()
    again = events_import(format="edx", paths=[path], learner_prefix="demo-")  # a second import
    assert (again.stored, again.duplicates, again.bad, again.invalid) == (0, n, 0, 0)
    assert again.learners_created == again.courses_created == again.activities_created == 0
    assert Event.objects.count() == before


REFERENCE_TIME0 = 1709546400  # 2024-03-04T10:00:00Z, the corpus's first second


def test_edx_import_stores_no_ip_user_agent_referrer_or_other_learner(tmp_path):
    run("--format", "edx", str(_write(tmp_path, reference_lines())))
    stored = json.dumps([[e.verb, e.session_id, e.payload] for e in Event.objects.all()], ensure_ascii=False)
    for secret in (
        PRIVATE["ip"], "198.51.100", "PrivateAgentMarker", "iPhone OS", "private-referrer-marker",
        "www.google.com/search", PRIVATE["accept_language"], OTHER_LEARNER, "learner@example.org",
        "Revise this before the exam", "Why does my loss diverge?", "Loss diverges",
    ):  # fmt: skip
        assert secret not in stored, secret
    assert not re.search(r'"(ip|agent|referer|host|user_id|attempt_user_id|target_username)"', stored)
    views = Event.objects.filter(verb="navigation.page_viewed")
    assert views.count() == 8
    assert {(v.payload["device"], v.payload["referrer_class"]) for v in views} == {("mobile", "search")}
    served = views.get(payload__edx_type__startswith="/")
    assert served.payload == {
        "path": served.payload["edx_type"],
        "device": "mobile",
        "referrer_class": "search",
        "edx_type": served.payload["edx_type"],
    }  # fmt: skip  (its GET / POST, an e-mail address among them, are not kept)
    note = Event.objects.get(verb="note.added").payload
    assert note["length"] == len("Revise this before the exam") and "note_text" not in note


@pytest.mark.parametrize(
    ("agent", "device"),
    [
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36",
            "desktop",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36",
            "mobile",
        ),
        ("Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Safari/604.1", "tablet"),
        ("edX/org.edx.mobile (4.0.1; OS Version 17.4 (Build 21E219))", "app"),
        ("Googlebot/2.1 (+http://www.google.com/bot.html)", "bot"),
        ("", None),
    ],
)
def test_device_class_keeps_a_class_not_the_agent(agent, device):
    assert device_class(agent) == device


@pytest.mark.parametrize(
    ("referer", "referrer"),
    [
        ("https://courses.example.org/dashboard", "same-site"),
        ("https://studio.courses.example.org/x", "same-site"),
        ("/courses/x/courseware", "same-site"),
        ("https://www.google.co.uk/", "search"),
        ("https://duckduckgo.com/?q=x", "search"),
        ("https://t.co/abc", "social"),
        ("https://www.linkedin.com/feed/", "social"),
        ("https://blog.example.net/post", "other"),
        (None, None),
    ],
)
def test_referrer_class_keeps_a_class_not_the_url(referer, referrer):
    assert referrer_class(referer, "courses.example.org") == referrer


def test_a_hostile_pass_through_event_is_bounded_and_stored(tmp_path):
    deep: dict = {}
    node = deep
    for _ in range(40):
        node["next"] = {}
        node = node["next"]
    event = {
        "huge": "x" * 100_000, "many": {f"k{i}": i for i in range(500)}, "deep": deep,
        "list": list(range(10_000)), "nul": "a\u0000b", "user_id": 7, "ip": "203.0.113.1",
        "nested": {"username": "someone", "email": "ada@example.org", "note": "mail ada@example.org"},
    }  # fmt: skip
    kept = passthrough_event(event)
    assert len(kept["huge"]) == 1000 and len(kept["many"]) == 50 and len(kept["list"]) == 50
    assert kept["nul"] == "ab" and not {"user_id", "ip"} & kept.keys()
    assert len(json.dumps(kept)) < 40_000
    line = {
        "username": "ada", "event_type": "some.xblock.unheard_of", "event_source": "server",
        "time": "2024-03-04T10:00:00+00:00", "context": {"course_id": "course-v1:A+B+C"}, "event": event,
    }  # fmt: skip
    report = events_import(format="edx", paths=[_write(tmp_path, [json.dumps(line)])])
    assert (report.stored, report.invalid, report.bad) == (1, 0, 0)
    stored = Event.objects.get()
    assert stored.verb == PASS_THROUGH and stored.payload["edx_type"] == "some.xblock.unheard_of"
    text = json.dumps(stored.payload)
    assert "ada@example.org" not in text and "someone" not in text and "203.0.113.1" not in text


def test_the_reference_corpus_exports_to_edx_and_reads_back_the_same(tmp_path):
    """New verbs and passed-through events survive ``export_events --format edx`` and a
    re-import: same ids, learners, times, verbs, sessions, courses, activities, payloads."""
    events_import(format="edx", paths=[_write(tmp_path, reference_lines())])

    def snapshot() -> list[tuple]:
        return sorted(
            (str(e.event_id), e.learner_id, e.time, e.verb, e.session_id, e.course_id, e.activity_id,
             json.dumps(e.payload, sort_keys=True))
            for e in Event.objects.all()
        )  # fmt: skip

    before = snapshot()
    out = tmp_path / "export.log.gz"
    call_command("export_events", "--format", "edx", "--out", str(out), "--no-progress", stdout=io.StringIO())
    with gzip.open(out, "rt", encoding="utf-8") as lines:
        exported = lines.read()
    assert PRIVATE["ip"] not in exported and "PrivateAgentMarker" not in exported
    Event.objects.all().delete()
    report = events_import(format="edx", paths=[out])
    assert (report.stored, report.invalid, report.bad) == (len(before), 0, 0)
    assert snapshot() == before


def test_new_verbs_and_passed_through_events_reach_the_model_as_actions(tmp_path):
    """The canonical Parquet export of the corpus, read by ``recommender.data``: every verb
    stored (the new ones and ``external.edx``) is a token of the model's verb vocabulary,
    and each learner's sequence holds one token per event, passed-through ones included."""
    from recommender.data import Vocabularies, build_sequences
    from recommender.event_frame import load_events

    events_import(format="edx", paths=[_write(tmp_path, reference_lines())])
    out = tmp_path / "events.parquet"
    call_command(
        "export_events", "--format", "parquet", "--out", str(out), "--no-progress", stdout=io.StringIO()
    )
    frame = load_events(out)
    vocabs = Vocabularies.build(frame)
    stored = set(Event.objects.values_list("verb", flat=True))
    assert {PASS_THROUGH, "quiz.hint_shown", "navigation.page_closed", "textbook.page_turned"} <= stored
    assert stored <= set(vocabs.verbs.stoi)
    (sequence,) = build_sequences(frame, vocabs)
    assert len(sequence.verb) == len(REFERENCE)
    assert (
        int((sequence.verb == vocabs.verbs.stoi[PASS_THROUGH]).sum())
        == Event.objects.filter(verb=PASS_THROUGH).count()
    )


def test_only_lines_that_are_no_learner_activity_are_left_out_and_counted_by_reason(tmp_path):
    goods = reference_lines()[:6]  # enough good lines that the import is no failure
    record = json.loads(goods[0])
    lines = [
        *goods,
        "{not json",
        "[1, 2]",
        json.dumps({**record, "username": ""}),  # anonymous
        json.dumps({**record, "username": None}),
        json.dumps({k: v for k, v in record.items() if k != "time"}),
        json.dumps({k: v for k, v in record.items() if k not in ("event_type", "name")}),
        json.dumps({**record, "time": "yesterday"}),
        json.dumps({**record, "event_type": "play_video", "name": "play_video", "event": "{cut"}),
        json.dumps(
            {**record, "event_type": "some.unknown.type", "name": "some.unknown.type", "event": "{cut"}
        ),
    ]
    summary = run("--format", "edx", str(_write(tmp_path, lines)))
    assert "events stored:       7" in summary  # the good lines, and the unknown type passed through
    assert "bad lines:           6" in summary and "skipped:             2" in summary
    for n, reason in [
        (1, "not valid JSON"), (1, "not a JSON object"), (1, "no time"), (1, "no event_type"),
        (1, "time is not ISO 8601"), (1, "event is not JSON"), (2, "anonymous (no username)"),
    ]:  # fmt: skip
        assert re.search(rf"^ +{n}  {re.escape(reason)}$", summary, re.M), reason
    kept = Event.objects.get(payload__edx_type="some.unknown.type")
    assert kept.verb == PASS_THROUGH and kept.payload["event"] == "{cut"
