"""A lecture video made from its transcript: narration, slides and a caption track.

The curriculum's videos are written as transcripts; this turns one into an MP4 a browser
plays and a WebVTT track that captions it, with no network and no model weights:

- narration: each sentence spoken by ``espeak-ng`` (Debian package), at a rate chosen
  so the speech fills most of the duration the course states, and silences between
  sentences making up the rest, so the video is exactly as long as the page says;
- slides: the lecture's title and, part by part, the transcript's key sentences (the
  sentence of each part whose words recur most in the whole transcript), drawn with
  Pillow and shown while that part is spoken;
- captions: one cue per sentence (long sentences split at word boundaries), timed from
  the measured length of each spoken sentence, so captions and speech agree.

``ffmpeg`` (Debian package) muxes slides and narration into H.264 + AAC, which every
browser plays. No Django here: the site's glue is ``lms.lectures``.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import shutil
import subprocess
import tempfile
import textwrap
import wave
from collections import Counter
from pathlib import Path

# Bump when the output changes (a new layout, voice or timing rule): cached lectures
# made by an older generator are made again.
GENERATOR_VERSION = 1

WIDTH, HEIGHT = 960, 540
FPS = 2  # slides change every few seconds; two frames a second keeps seeking exact enough
MIN_WPM, MAX_WPM = 130, 320  # espeak-ng's clear range for narration
INTRO_GAP = 1.5  # seconds of title slide before the first sentence (at least)
BULLETS_PER_SLIDE = 3
MAX_PARTS = 8  # key sentences per lecture (one per part of the transcript)
CAPTION_CHARS = 90  # a caption longer than this is split (two lines of ~45 characters)

_SENTENCE_END = re.compile(r"(?<=[.!?:])\s+(?=[A-Z`(\"'0-9])")
_MARKUP = re.compile(r"\*\*|__|`|^#+\s*", re.M)
_WORD = re.compile(r"[a-z][a-z'-]+")
_STOP = frozenset(
    "the a an and or of to in on for is are was were be been it its this that these those with as by at"
    " from we you they he she i our your their not but so if then than can will would could should do"
    " does did have has had one two which what when where how why there here all each more most some"
    " such into out up about over also just very only many much may might must let us".split()
)


class LectureError(RuntimeError):
    """The lecture could not be made (a tool missing or failing); the message says why."""


@dataclasses.dataclass(frozen=True)
class Cue:
    start: float  # seconds
    end: float
    text: str
    sentence: int  # index in sentences(transcript): a long sentence gives several cues


@dataclasses.dataclass(frozen=True)
class Lecture:
    video: Path
    captions: Path
    duration: float  # seconds, as made
    cues: list[Cue]


def sentences(text: str) -> list[str]:
    """The transcript's sentences, Markdown emphasis and code marks removed (headings too:
    a leading ``# Title`` is the slide's title, not a sentence to read)."""
    out = []
    for paragraph in text.split("\n\n"):
        paragraph = paragraph.strip()
        if not paragraph or paragraph.startswith("#"):
            continue
        flat = " ".join(_MARKUP.sub("", paragraph).split())
        out.extend(s.strip() for s in _SENTENCE_END.split(flat) if s.strip())
    return out


def spoken(sentence: str) -> str:
    """What espeak-ng reads: code-ish symbols as words it pronounces sensibly."""
    text = sentence.replace("_", " ").replace("^", " to the ").replace("=", " equals ")
    return re.sub(r"[\[\]{}|\\]", " ", text)


def key_sentences(parts: list[list[str]]) -> list[str]:
    """One sentence per part: the one whose content words recur most in the whole
    transcript (a frequency summary), shorter sentences preferred on ties."""
    words = Counter(w for part in parts for s in part for w in _WORD.findall(s.lower()) if w not in _STOP)

    def score(sentence: str) -> float:
        content = [w for w in _WORD.findall(sentence.lower()) if w not in _STOP]
        return sum(words[w] for w in content) / (len(content) + 4) if content else 0.0

    return [max(part, key=lambda s: (score(s), -len(s))) for part in parts]


def _run(args: list[str], what: str) -> None:
    try:
        subprocess.run(args, check=True, capture_output=True, timeout=600)
    except FileNotFoundError as exc:
        raise LectureError(f"{what}: {args[0]} is not installed (Debian package {args[0]})") from exc
    except subprocess.CalledProcessError as exc:
        tail = exc.stderr.decode("utf-8", "replace")[-400:]
        raise LectureError(f"{what} failed: {tail}") from exc


def _speak(text: str, wpm: int, path: Path) -> tuple[bytes, int]:
    """PCM frames (16-bit mono) of ``text`` spoken at ``wpm``, and the sample rate."""
    _run(["espeak-ng", "-v", "en-us", "-s", str(wpm), "-w", str(path), text], "narration")
    with wave.open(str(path), "rb") as w:
        if w.getnchannels() != 1 or w.getsampwidth() != 2:
            raise LectureError("narration: espeak-ng wrote an unexpected WAV format")
        return w.readframes(w.getnframes()), w.getframerate()


def _font(size: int, bold: bool = False):
    from PIL import ImageFont

    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for folder in ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu"):
        if Path(folder, name).is_file():
            return ImageFont.truetype(str(Path(folder, name)), size)
    return ImageFont.load_default(size)


def _slide(
    path: Path, *, title: str, course: str, bullets: list[str], current: int | None, page: str
) -> None:
    """A 960x540 slide: dark text on a light background (contrast well above 7:1), the
    bullet being spoken in the accent colour."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (WIDTH, HEIGHT), "#f7f7f2")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, WIDTH, 92), fill="#16324f")
    draw.text((40, 14), textwrap.shorten(course, 64, placeholder="…"), font=_font(20), fill="#dfe8f1")
    draw.text(
        (40, 42), textwrap.shorten(title, 60, placeholder="…"), font=_font(30, bold=True), fill="#ffffff"
    )
    y = 126
    if not bullets:
        for line in textwrap.wrap(title, 32)[:4]:
            draw.text((60, y + 60), line, font=_font(44, bold=True), fill="#16324f")
            y += 60
    body = _font(27)
    for i, bullet in enumerate(bullets):
        colour = "#0b4f2f" if i == current else "#222222"
        lines = textwrap.wrap(bullet, 58)[:5]
        draw.text((40, y), "•", font=body, fill=colour)
        for line in lines:
            draw.text((70, y), line, font=body, fill=colour)
            y += 36
        y += 22
    draw.text(
        (WIDTH - 110, 16), page, font=_font(18), fill="#dfe8f1"
    )  # top right: the player's controls cover the bottom
    image.save(path)


def _caption_pieces(sentence: str, index: int, start: float, end: float) -> list[Cue]:
    """A sentence's caption cue(s): split at word boundaries when long, each piece timed
    in proportion to its characters."""
    pieces = textwrap.wrap(sentence, CAPTION_CHARS, break_long_words=False) or [sentence]
    total = sum(len(p) for p in pieces)
    cues, t = [], start
    for piece in pieces:
        length = (end - start) * len(piece) / total
        cues.append(Cue(round(t, 3), round(t + length, 3), piece, index))
        t += length
    return cues


def _timestamp(seconds: float) -> str:
    ms = round(seconds * 1000)
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


def webvtt(cues: list[Cue]) -> str:
    """A WebVTT file (W3C WebVTT: header, blank-line separated cues, ``-->`` timings);
    ``-->`` and markup characters in the text are escaped."""
    out = ["WEBVTT", ""]
    for n, cue in enumerate(cues, 1):
        text = cue.text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        out += [str(n), f"{_timestamp(cue.start)} --> {_timestamp(cue.end)}", text, ""]
    return "\n".join(out)


def lecture_make(*, title: str, course: str, transcript: str, duration: float, out: Path) -> Lecture:
    """Make ``out``.mp4, ``out``.vtt and ``out``.json (the cues) from a transcript.

    The files are written under temporary names and renamed into place, so a reader
    never sees half a video; ``out``'s folder must exist."""
    said = sentences(transcript)
    if not said:
        raise LectureError("the transcript has no sentences to narrate")
    per_part = max(1, math.ceil(len(said) / MAX_PARTS))  # a few sentences per slide bullet
    parts = [said[i : i + per_part] for i in range(0, len(said), per_part)]
    keys = key_sentences(parts)
    words = sum(len(s.split()) for s in said) + len(title.split())
    wpm = int(min(MAX_WPM, max(MIN_WPM, words / max(duration * 0.8, 1) * 60)))

    with tempfile.TemporaryDirectory(prefix="lecture-") as tmp:
        work = Path(tmp)
        intro, rate = _speak(spoken(title), wpm, work / "title.wav")
        spoken_parts = [[_speak(spoken(s), wpm, work / f"s{i}-{j}.wav")[0] for j, s in enumerate(part)]
                        for i, part in enumerate(parts)]  # fmt: skip
        speech = (len(intro) + sum(len(c) for part in spoken_parts for c in part)) / 2 / rate
        n_clips = sum(len(p) for p in spoken_parts)
        # Silence fills what the speech leaves: a beat after the title, then equal gaps
        # after every sentence; if the speech is longer than the stated duration the
        # lecture runs as long as the speech with short gaps.
        gap = max(0.4, (duration - speech - INTRO_GAP) / n_clips)
        lead = INTRO_GAP if speech + INTRO_GAP + gap * n_clips <= duration + 0.01 else 0.4
        frames, cues, slides = bytearray(intro), [], []
        silence = lambda seconds: b"\x00\x00" * round(seconds * rate)  # noqa: E731
        frames += silence(lead)
        slides.append((0.0, None))  # (start, part index): the title slide
        index = 0  # of the sentence in sentences(transcript)
        for p, part in enumerate(spoken_parts):
            slides.append((len(frames) / 2 / rate, p))
            for clip, sentence in zip(part, parts[p], strict=True):
                start = len(frames) / 2 / rate
                frames += clip
                cues += _caption_pieces(sentence, index, start, len(frames) / 2 / rate)
                index += 1
                frames += silence(gap)
        total = max(duration, len(frames) / 2 / rate)
        frames += silence(total - len(frames) / 2 / rate)
        frames = frames[: round(total * rate) * 2]
        with wave.open(str(work / "narration.wav"), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(rate)
            w.writeframes(bytes(frames))

        # Slides: the title, then each part's key sentence added to a page of up to three.
        listing = []
        for n, (start, p) in enumerate(slides):
            end = slides[n + 1][0] if n + 1 < len(slides) else total
            if p is None:
                bullets, current = [], None
            else:
                first = p - p % BULLETS_PER_SLIDE
                bullets, current = keys[first : p + 1], p - first
            image = work / f"slide-{n:03d}.png"
            _slide(image, title=title, course=course, bullets=bullets, current=current,
                   page=f"{n + 1} / {len(slides)}")  # fmt: skip
            listing += [f"file '{image.name}'", f"duration {end - start:.3f}"]
        listing.append(f"file 'slide-{len(slides) - 1:03d}.png'")  # the concat demuxer needs the last twice
        (work / "slides.txt").write_text("\n".join(listing) + "\n", encoding="utf-8")

        video = work / "lecture.mp4"
        _run(
            ["ffmpeg", "-nostdin", "-loglevel", "error", "-y",
             "-f", "concat", "-safe", "0", "-i", str(work / "slides.txt"),
             "-i", str(work / "narration.wav"),
             "-vf", f"fps={FPS},format=yuv420p", "-c:v", "libx264", "-preset", "veryfast",
             "-tune", "stillimage", "-crf", "30", "-g", str(FPS * 10),
             "-c:a", "aac", "-b:a", "32k", "-ac", "1",
             "-t", f"{total:.3f}", "-movflags", "+faststart", str(video)],
            "video",
        )  # fmt: skip
        vtt = work / "lecture.vtt"
        vtt.write_text(webvtt(cues), encoding="utf-8")
        meta = work / "lecture.json"
        meta.write_text(json.dumps({"duration": round(total, 3), "wpm": wpm,
                                    "cues": [dataclasses.asdict(c) for c in cues]}), encoding="utf-8")  # fmt: skip
        targets = [out.with_suffix(s) for s in (".mp4", ".vtt", ".json")]
        for source, target in zip((video, vtt, meta), targets, strict=True):
            partial = target.with_name(f".{target.name}.{os.getpid()}.part")
            shutil.move(str(source), partial)
            os.replace(partial, target)
    return Lecture(video=targets[0], captions=targets[1], duration=round(total, 3), cues=cues)
