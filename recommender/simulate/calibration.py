"""Does the simulated cohort look like real MOOC learners? Its aggregate statistics next
to ranges reported by published MOOC research (sources in ``SOURCES`` and
docs/simulator.md). The ranges are deliberately wide: they span the courses those
studies cover, not one course."""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from course_content import rules

from .curriculum import Curriculum

SOURCES = {
    "reich2019": "Reich & Ruipérez-Valiente, 'The MOOC pivot', Science 363 (2019): "
    "3.1-6% of all participants complete; 46% of verified (paying) learners complete.",
    "jordan2015": "Jordan, 'Massive open online course completion rates revisited', IRRODL 16(3) "
    "(2015): completion median 12.6% (range 0.7-52.1%) over 221 MOOCs.",
    "guo2014": "Guo, Kim & Rubin, 'How video production affects student engagement', L@S 2014: "
    "median engagement about 6 minutes; learners watch roughly half of a 6-12 minute video.",
    "kim2014": "Kim et al., 'Understanding in-video dropouts and interaction peaks in online lecture "
    "videos', L@S 2014: in-video dropout rises steadily along the video, steeper for longer ones.",
    "champaign2014": "Champaign et al., 'Correlating skill and improvement in 2 MOOCs with a student's "
    "time on tasks', L@S 2014, and Pardos et al. 2013 (edX 6.002x): first-attempt correctness on "
    "MOOC problems mostly 55-80%.",
    "huang2013": "Huang, Piech, Nguyen & Guibas, 'Syntactic and functional variability of a million "
    "code submissions in a machine learning MOOC', AIED 2013: about a million submissions from "
    "tens of thousands of learners over 8 assignments, i.e. a few attempts per assignment.",
    "ho2014": "Ho et al., 'HarvardX and MITx: the first year of open online courses', 2014: most "
    "registrants are active on only a few days; certified learners on dozens.",
}


@dataclass(frozen=True)
class Target:
    low: float
    high: float
    source: str


TARGETS = {
    "completion, all learners": Target(0.02, 0.15, "reich2019, jordan2015"),
    "completion, verified track": Target(0.30, 0.65, "reich2019"),
    "completion, audit track": Target(0.01, 0.10, "reich2019"),
    "median share of a video watched": Target(0.40, 0.90, "guo2014"),
    "viewers still watching at 90% of a video": Target(0.35, 0.85, "kim2014"),
    "quiz first-attempt accuracy": Target(0.55, 0.80, "champaign2014"),
    "lab attempts to pass (mean)": Target(1.3, 4.0, "huang2013"),
    "active days per learner (median)": Target(2.0, 10.0, "ho2014"),
    "active days per completer (median)": Target(15.0, 60.0, "ho2014"),
}


def cohort_stats(runs: list, curriculum: Curriculum) -> dict[str, float]:
    """Aggregates over ``LearnerRun`` objects (their progress and records, not events).
    Completion is of the first course of the curriculum, the one every learner starts."""
    course = curriculum.courses[0]
    verified = [r for r in runs if r.traits.verified]
    audit = [r for r in runs if not r.traits.verified]

    def done(group):
        return sum(course in r.completed for r in group) / len(group) if group else float("nan")

    videos = {i.slug for i in curriculum.items if i.kind == "video"}
    coverages, tail = [], []
    for r in runs:
        for slug, row in r.progress.items():
            if slug in videos:
                coverages.append(row.coverage)
                duration = curriculum.item(slug).duration or 1
                tail.append(any(s <= rules.VIDEO_COMPLETE * duration <= e for s, e in row.segments))
    first = [v for r in runs for q in r.quizzes if q.number == 1 for v in q.results.values()]
    to_pass = []
    for r in runs:
        mode = rules.SUBMIT if r.traits.verified else rules.RUN
        by_lab: dict[str, list] = {}
        for lab in r.labs:
            if lab.mode == mode:
                by_lab.setdefault(lab.activity, []).append(lab.score)
        for scores in by_lab.values():
            grade = curriculum.passing_grade.get(course)
            passing = [n for n, s in enumerate(scores, start=1) if rules.lab_passed(mode, s, grade)]
            if passing:
                to_pass.append(passing[0])
    completers = [r for r in runs if course in r.completed]
    return {
        "learners": len(runs),
        "verified share": len(verified) / len(runs) if runs else float("nan"),
        "completion, all learners": done(runs),
        "completion, verified track": done(verified),
        "completion, audit track": done(audit),
        "median share of a video watched": statistics.median(coverages) if coverages else float("nan"),
        "viewers still watching at 90% of a video": sum(tail) / len(tail) if tail else float("nan"),
        "quiz first-attempt accuracy": sum(first) / len(first) if first else float("nan"),
        "lab attempts to pass (mean)": statistics.fmean(to_pass) if to_pass else float("nan"),
        "active days per learner (median)": statistics.median(r.active_days for r in runs)
        if runs
        else float("nan"),
        "active days per completer (median)": (
            statistics.median(r.active_days for r in completers) if completers else float("nan")
        ),
        "dropped out within 7 days": (
            sum(r.dropped_day is not None and r.dropped_day - r.enroll_day < 7 for r in runs) / len(runs)
        ),
        "mean mastery at the end": statistics.fmean(r.mastery for r in runs) if runs else float("nan"),
    }


def drop_off_curve(runs: list, curriculum: Curriculum, points: int = 10) -> list[float]:
    """Share of a video's viewers still watching at 0%, 10%, ... 100% of it."""
    videos = {i.slug: i.duration or 1 for i in curriculum.items if i.kind == "video"}
    rows = [(row, videos[s]) for r in runs for s, row in r.progress.items() if s in videos]
    if not rows:
        return []
    curve = []
    for k in range(points + 1):
        at = k / points
        curve.append(sum(any(s <= at * d <= e for s, e in row.segments) for row, d in rows) / len(rows))
    return curve


def stats_table(stats: dict[str, float]) -> str:
    """A Markdown table: each statistic, the cohort's value and the published range."""
    lines = ["| statistic | cohort | published range | in range | source |", "|---|---|---|---|---|"]
    for name, value in stats.items():
        target = TARGETS.get(name)
        shown = f"{value:.2f}" if isinstance(value, float) else str(value)
        if target is None:
            lines.append(f"| {name} | {shown} | | | |")
            continue
        ok = target.low <= value <= target.high
        lines.append(
            f"| {name} | {shown} | {target.low:g}-{target.high:g} | {'yes' if ok else 'NO'} | {target.source} |"
        )
    return "\n".join(lines)
