"""The learners-at-risk page: the ``LearnerRisk`` rollup (``analytics.risk`` writes it)
filtered, sorted and paged, with the latest action taken on each learner."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Subquery

from analytics import models as m
from analytics.charts import Chart, Series
from analytics.risk import signals
from lms.accounts import roles
from lms.courses.models import Course
from lms.inbox.selectors import message_deliverable
from lms.recommendations.serving import active_model
from recommender.compare import model_row

from .common import RED

RISK_PAGE_SIZE = 50
RISK_SORTS = {  # ?sort= -> (label, ORDER BY)
    "risk": ("Most at risk first", ("-band", "-risk", "-days_inactive", "learner_id")),
    "inactive": ("Longest inactive first", ("-days_inactive", "-band", "-risk", "learner_id")),
    "recent": ("Most recently active first", ("days_inactive", "-band", "-risk", "learner_id")),
    "failures": ("Most recent failures first", ("-recent_failures", "-band", "-risk", "learner_id")),
    "week": ("By week", ("week", "-band", "-risk", "learner_id")),
}
RISK_BANDS = {  # ?band= -> band
    "disengaged": m.LearnerRisk.Band.DISENGAGED,
    "high": m.LearnerRisk.Band.HIGH,
    "medium": m.LearnerRisk.Band.MEDIUM,
    "low": m.LearnerRisk.Band.LOW,
    "never": m.LearnerRisk.Band.NEVER,
}
RISK_ACTIVE = {  # ?active= -> (label, days_inactive lower bound, upper bound), None: open
    "7": ("In the last 7 days", 0, 7),
    "14": ("8 to 14 days ago", 8, 14),
    "30": ("15 to 30 days ago", 15, 30),
    "older": ("More than 30 days ago", 31, None),
}


@dataclass
class AtRisk:
    """One row of the page: a ``LearnerRisk`` row as the viewer may see it."""

    row: Any  # LearnerRisk (with its learner)
    name: str  # the learner's name, or their pseudonym for a viewer who may not identify them
    email: str  # empty for such a viewer
    key: str  # how the page's anchors and forms name the learner: the id, or the pseudonym
    action: dict | None = None  # the latest RiskAction: label, by (username), at
    can_message: bool = False  # a message would reach them (and the viewer may send one)

    def __getattr__(self, name: str) -> Any:  # band, risk, last_active, days_inactive, week...
        row = self.__dict__.get("row")
        if row is None:
            raise AttributeError(name)
        return getattr(row, name)

    @property
    def band_label(self) -> str:
        return m.LearnerRisk.Band(self.row.band).label

    @property
    def band_key(self) -> str:
        return next(k for k, v in RISK_BANDS.items() if v == self.row.band)

    @property
    def signals(self) -> list[str]:
        return signals(days_inactive=self.row.days_inactive, recent_failures=self.row.recent_failures,
                       overdue_weeks=self.row.overdue_weeks)  # fmt: skip


def _model_calibration(version) -> dict[str, Any] | None:
    """The active version's disengagement evaluation: its own row of the report."""

    results = ((version.metrics or {}).get("results") or {}).get("disengagement")
    name, row = model_row(results)
    return {"name": name, **row} if name is not None else None


def _choice(value: str | None, choices) -> str:
    return value if value in choices else ""


def learners_at_risk(
    *,
    course: Course,
    identify: bool,
    band: str | None = None,
    week: str | None = None,
    active: str | None = None,
    sort: str | None = None,
    page: str | int | None = 1,
    full_table: bool = False,
) -> dict[str, Any]:
    """The course's learners at risk, read from the ``LearnerRisk`` rollup
    (``analytics.risk``), filtered (``band``, ``week``: the week of the latest item a
    learner worked on, ``active``: when they were last active), sorted and cut in pages
    of ``RISK_PAGE_SIZE``. A fixed handful of queries whatever the cohort size; unknown
    filter values are ignored. ``full_table``: the CSV table holds every matching row
    (the page's own table object carries none).

    ``identify``: learners by name and e-mail (``roles.can_identify`` for the course);
    otherwise by pseudonym only, and the table has no e-mail column."""
    band, active, sort = _choice(band, RISK_BANDS), _choice(active, RISK_ACTIVE), _choice(sort, RISK_SORTS)
    sort = sort or "risk"
    week_n = int(week) if isinstance(week, str) and week.isdigit() else None
    rows = m.LearnerRisk.objects.filter(course=course)
    totals = {b: 0 for b in m.LearnerRisk.Band.values}
    for r in rows.values("band").annotate(n=Count("*")).order_by():
        totals[r["band"]] = r["n"]
    if band:
        rows = rows.filter(band=RISK_BANDS[band])
    else:
        rows = rows.exclude(band=m.LearnerRisk.Band.NEVER)  # nothing to rank them by
    if week_n is not None:
        rows = rows.filter(week=week_n)
    if active:
        _, lo, hi = RISK_ACTIVE[active]
        rows = rows.filter(days_inactive__gte=lo, **({"days_inactive__lte": hi} if hi is not None else {}))
    action = m.RiskAction.objects.filter(course=course, learner_id=OuterRef("learner_id")).order_by(
        "-at", "-pk"
    )
    rows = (
        rows.select_related("learner")
        .annotate(
            action=Subquery(action.values("action")[:1]),
            action_at=Subquery(action.values("at")[:1]),
            action_by=Subquery(action.values("by__username")[:1]),
        )
        .order_by(*RISK_SORTS[sort][1])
    )
    paginator = Paginator(rows, RISK_PAGE_SIZE)
    page_obj = paginator.get_page(page)

    def present(r) -> AtRisk:
        user = r.learner
        return AtRisk(
            row=r,
            name=(user.get_full_name() or user.username) if identify else roles.pseudonym_label(user.pk),
            email=user.email if identify else "",
            key=str(user.pk) if identify else roles.analytics_learner_pseudonym(user.pk),
            action={"label": m.RiskAction.Action(r.action).label, "by": r.action_by, "at": r.action_at}
            if r.action
            else None,
            can_message=identify and message_deliverable(recipient=user),
        )

    shown = [present(r) for r in page_obj.object_list]
    first = (
        shown[0].row
        if shown
        else m.LearnerRisk.objects.filter(course=course).only("computed", "source").first()
    )
    loaded = active_model()
    model = loaded.version if loaded.recommender is not None else None

    distribution = Chart(
        "risk-bands", "Learners by risk band", "bar",
        ["Band", "Learners"],
        [[b.label, totals[b.value]] for b in reversed(m.LearnerRisk.Band)],
        [Series(1, "Learners", color=RED)],
        description="How many active enrollments fall in each band at the last refresh: disengaged (away the "
        "whole 14-day horizon already), then high, medium and low predicted risk (or days away, under the "
        "rule), and never active.",
        x_title="Band", y_title="Learners",
    )  # fmt: skip
    email = ["E-mail"] if identify else []
    table_rows = []
    if full_table:
        table_rows = [
            [i, a.name, *([a.email] if identify else []), a.band_label, a.risk, a.days_inactive,
             a.last_active.isoformat() if a.last_active else None, a.week, "; ".join(a.signals),
             a.action["label"] if a.action else None]
            for i, a in enumerate((present(r) for r in rows.iterator(chunk_size=2000)), 1)
        ]  # fmt: skip
    table = Chart(
        "learners", "Learners at risk", "table",
        ["Rank", "Learner", *email, "Band", "Risk", "Days inactive", "Last active", "Week", "Signals",
         "Latest action"],
        table_rows, [],
    )  # fmt: skip
    weeks = list(course.weeks.order_by("position").values_list("position", flat=True))
    query = {k: v for k, v in (("band", band), ("week", str(week_n) if week_n else ""), ("active", active),
                               ("sort", sort if sort != "risk" else "")) if v}  # fmt: skip
    return {
        "charts": [distribution],
        "tables": [table],
        "rows": shown,
        "page": page_obj,
        "query": query,
        "filters": {"band": band, "week": week_n, "active": active, "sort": sort},
        "choices": {
            "band": [(k, m.LearnerRisk.Band(v).label) for k, v in RISK_BANDS.items()],
            "week": weeks,
            "active": [(k, v[0]) for k, v in RISK_ACTIVE.items()],
            "sort": [(k, v[0]) for k, v in RISK_SORTS.items()],
        },
        "totals": {m.LearnerRisk.Band(b).label: n for b, n in totals.items()},
        "enrolled": sum(totals.values()),
        "never_active": totals[m.LearnerRisk.Band.NEVER],
        "computed": first.computed if first else None,
        "source": first.source if first else None,
        "model": model,
        "model_error": loaded.error,
        "calibration": _model_calibration(model) if model is not None else None,
        "identify": identify,
        "page_size": RISK_PAGE_SIZE,
        "high": m.LearnerRisk.Band.HIGH,
    }
