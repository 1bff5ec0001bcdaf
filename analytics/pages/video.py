"""One video's page: watch coverage second by second, drop-off, re-watched passages
(and the hotspots among them) and the playback speeds chosen."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from analytics import models as m
from analytics.charts import Chart, Series
from analytics.rollups import video_buckets
from analytics.stats import fraction
from lms.courses.models import Activity

from .common import ACCENT, BLUE, GREY, ORANGE, mmss


@dataclass
class Hotspot:
    """A re-watched stretch of a video (seconds) and the replays of its peak."""

    start: float
    end: float
    replays: int

    @property
    def label(self) -> str:
        return f"{mmss(self.start)}–{mmss(self.end)}"


def _prefix(deltas: dict[int, int], n: int) -> list[int]:
    out, total = [], 0
    for bucket in range(n):
        total += deltas.get(bucket, 0)
        out.append(total)
    return out


def rewatch_hotspots(replays: list[int], width: int, top: int = 5) -> list[Hotspot]:
    """The most replayed stretches: around each highest remaining peak, the run of
    buckets replayed at least half as often as the peak."""
    taken = [False] * len(replays)
    spots = []
    for peak in sorted(range(len(replays)), key=lambda b: (-replays[b], b)):
        if len(spots) == top or replays[peak] <= 0:
            break
        if taken[peak]:
            continue
        low = high = peak
        while low > 0 and not taken[low - 1] and replays[low - 1] * 2 >= replays[peak]:
            low -= 1
        while high + 1 < len(replays) and not taken[high + 1] and replays[high + 1] * 2 >= replays[peak]:
            high += 1
        for b in range(max(0, low - 5), min(len(replays), high + 6)):
            taken[b] = True
        spots.append(Hotspot(low * width, (high + 1) * width, replays[peak]))
    return spots


def _share_per_second(
    slug: str,
    title: str,
    kind: str,
    counted: str,
    seconds: list[int],
    counts: list[int],
    viewers: int,
    series: Series,
    description: str,
) -> Chart:
    """A chart over the video's seconds of how many viewers (``counted``) and which share
    of them each second has."""
    return Chart(
        slug,
        title,
        kind,
        ["second", counted, "share of viewers"],
        [[t, c, fraction(c, viewers)] for t, c in zip(seconds, counts, strict=True)],
        [series],
        description,
        x_title="Position in the video",
        percent=True,
        extra={"x_format": "seconds"},
    )


def video_detail(*, video: Activity) -> dict[str, Any]:
    s = m.VideoSummary.objects.filter(activity=video).first()
    if s is None:
        width, n = video_buckets(video.duration_seconds)
        s = m.VideoSummary(activity=video, bucket_seconds=width, buckets=n)
    deltas: dict[str, dict[int, int]] = {"coverage": {}, "reach": {}, "rewatch": {}}
    last = 0
    for bucket, coverage, reach, rewatch in m.VideoBucket.objects.filter(activity=video).values_list(
        "bucket", "coverage", "reach", "rewatch"
    ):
        deltas["coverage"][bucket], deltas["reach"][bucket], deltas["rewatch"][bucket] = (
            coverage,
            reach,
            rewatch,
        )
        last = max(last, bucket)
    n = s.buckets if video.duration_seconds else min(s.buckets, last)
    width = s.bucket_seconds
    coverage, reach, rewatch = (_prefix(deltas[k], n) for k in ("coverage", "reach", "rewatch"))
    seconds = [b * width for b in range(n)]
    viewers = s.viewers
    heat = _share_per_second(
        "heatmap", "Watch coverage, second by second", "heat", "viewers who played it", seconds, coverage, viewers,
        Series(2, "Share of viewers who played this second", color=ACCENT),
        "For each second of the video, the share of viewers who played it at least once: darker is watched more.",
    )  # fmt: skip
    dropoff = _share_per_second(
        "dropoff", "Drop-off: viewers still watching", "line", "viewers who reached it", seconds, reach, viewers,
        Series(2, "Share of viewers who got this far", color=BLUE),
        "The share of viewers whose furthest point played is at or past each second.",
    )  # fmt: skip
    replays = Chart(
        "rewatch",
        "Re-watched passages",
        "bar",
        ["second", "backward seeks replaying it"],
        [[t, r] for t, r in zip(seconds, rewatch, strict=True)],
        [Series(1, "Replays (backward seeks over this second)", color=ORANGE)],
        "How often each second was played again after a learner jumped back: peaks are passages learners rewatch.",
        x_title="Position in the video",
        y_title="Replays",
        extra={"x_format": "seconds"},
    )
    speeds = sorted(m.VideoSpeed.objects.filter(activity=video), key=lambda v: float(v.speed))
    speed = Chart(
        "speed",
        "Playback speed chosen",
        "bar",
        ["speed", "learners who chose it", "speed changes to it"],
        [[f"{v.speed}×", v.learners, v.changes] for v in speeds],
        [Series(1, "Learners who chose it", color=ACCENT), Series(2, "Changes to it", color=GREY)],
        "Speeds learners switched to (the player starts at 1×).",
        y_title="Count",
    )
    marks = {}
    for share in (0.25, 0.5, 0.75, 0.9):
        at = min(n - 1, int(n * share)) if n else 0
        marks[f"{int(share * 100)}%"] = fraction(reach[at], viewers) if n else None
    return {
        "s": s,
        "charts": [heat, dropoff, replays, speed],
        "hotspots": rewatch_hotspots(rewatch, width),
        "marks": marks,
        "coverage": fraction(s.watched_buckets, viewers * s.buckets) if s.buckets else None,
        "completion": fraction(s.completions, viewers),
    }
