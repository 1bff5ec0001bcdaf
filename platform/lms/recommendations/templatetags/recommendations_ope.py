"""``{% ope_estimates %}``: the registry page's off-policy section (its own include, so
the page's view need not know about it). Reads the stored estimates only: one query and
a small file per version."""

from django import template

from lms.recommendations.models import ModelVersion
from lms.recommendations.ope import BOOTSTRAP, DECISIONS, SHOWINGS, ope_result, ope_rows

register = template.Library()
VERSIONS = 5  # the latest versions offered


@register.inclusion_tag("recommendations/_ope.html", takes_context=True)
def ope_estimates(context) -> dict:
    versions = [v for v in ModelVersion.objects.exclude(path="").order_by("-number")[:VERSIONS]
                if v.status not in (ModelVersion.Status.TRAINING, ModelVersion.Status.FAILED)]  # fmt: skip
    rows = []
    for v in versions:
        data = ope_result(version=v)
        rows.append({"v": v, "data": data, "rows": ope_rows(data)})
    return {
        "versions": rows,
        "running": any((r["data"] or {}).get("status") == "running" for r in rows),
        "csrf_token": context.get("csrf_token"),
        "showings": SHOWINGS, "decisions": DECISIONS, "bootstrap": BOOTSTRAP,
    }  # fmt: skip
