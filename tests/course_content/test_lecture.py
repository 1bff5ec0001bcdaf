"""The lecture generator on its own (no Django): real espeak-ng and ffmpeg, real files."""

import json
import re
import subprocess
from pathlib import Path

import pytest

from course_content.lecture import Cue, key_sentences, lecture_make, sentences, webvtt

TRANSCRIPT = """# Gradient descent

Gradient descent lowers the **cost** one small step at a time. Each step moves the parameters `w` and `b`
against the gradient of the cost. The learning rate sets the size of a step: too large and the cost
diverges, too small and training crawls.

On a convex cost such as logistic regression's, gradient descent reaches the global minimum from any
starting point. We repeat the update until the cost stops falling, which usually takes a few hundred steps.
"""


def probe(path: Path) -> dict:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration:stream=codec_type,codec_name,width,height",
         "-of", "json", str(path)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(out.stdout)


def test_sentences_drop_markup_and_headings() -> None:
    said = sentences(TRANSCRIPT)
    assert said[0] == "Gradient descent lowers the cost one small step at a time."
    assert "Each step moves the parameters w and b against the gradient of the cost." in said
    assert all("#" not in s and "`" not in s and "**" not in s for s in said)
    assert len(said) == 5


def test_key_sentences_one_per_part_from_that_part() -> None:
    parts = [sentences(TRANSCRIPT)[:3], sentences(TRANSCRIPT)[3:]]
    keys = key_sentences(parts)
    assert len(keys) == 2 and keys[0] in parts[0] and keys[1] in parts[1]


def test_webvtt_is_well_formed_and_escaped() -> None:
    text = webvtt([Cue(0.0, 1.5, "a --> b <i>", 0), Cue(61.25, 3725.5, "x & y", 1)])
    assert text.startswith("WEBVTT\n\n1\n00:00:00.000 --> 00:00:01.500\na --&gt; b &lt;i&gt;\n")
    assert "00:01:01.250 --> 01:02:05.500\nx &amp; y" in text


@pytest.mark.parametrize("duration", [45.0, 90.0])
def test_lecture_lasts_the_stated_duration_with_timed_captions(tmp_path: Path, duration: float) -> None:
    lecture = lecture_make(title="Gradient Descent", course="Course One", transcript=TRANSCRIPT,
                           duration=duration, out=tmp_path / "gd")  # fmt: skip
    info = probe(lecture.video)
    assert abs(float(info["format"]["duration"]) - duration) < 0.6
    assert {s["codec_type"]: s["codec_name"] for s in info["streams"]} == {"video": "h264", "audio": "aac"}
    video = next(s for s in info["streams"] if s["codec_type"] == "video")
    assert (video["width"], video["height"]) == (960, 540)
    # One caption per sentence (split when long), in order, inside the video, sentences indexed.
    assert {c.sentence for c in lecture.cues} == set(range(5))
    starts = [c.start for c in lecture.cues]
    assert starts == sorted(starts) and all(c.end > c.start for c in lecture.cues)
    assert lecture.cues[0].start > 1.0  # after the spoken title
    assert lecture.cues[-1].end <= duration
    # Silence fills the stated duration: the longer lecture spaces the same speech out.
    spoken = sum(c.end - c.start for c in lecture.cues)
    assert spoken < duration
    vtt = lecture.captions.read_text(encoding="utf-8")
    assert vtt.startswith("WEBVTT") and len(re.findall(r"\d\d:\d\d:\d\d\.\d{3} --> ", vtt)) == len(
        lecture.cues
    )
    meta = json.loads((tmp_path / "gd.json").read_text())
    assert meta["duration"] == pytest.approx(duration, abs=0.01) and len(meta["cues"]) == len(lecture.cues)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "gd.json",
        "gd.mp4",
        "gd.vtt",
    ]  # no partial files left


def test_speech_longer_than_the_stated_duration_is_kept_whole(tmp_path: Path) -> None:
    lecture = lecture_make(title="Gradient Descent", course="Course One", transcript=TRANSCRIPT * 3,
                           duration=10.0, out=tmp_path / "long")  # fmt: skip
    assert lecture.duration > 10.0
    assert lecture.cues[-1].end <= lecture.duration
    assert abs(float(probe(lecture.video)["format"]["duration"]) - lecture.duration) < 0.6
