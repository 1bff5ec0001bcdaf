"""A chart is a table: the page draws it (JSON embedded with ``json_script``) and its
"Download CSV" link returns exactly the same rows."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Series:
    column: int  # index into Chart.columns
    label: str
    type: str = ""  # "line" or "bar" inside a mixed chart; empty: the chart's kind
    axis: str = "y"  # "y" or "y2" (a second axis on the right)
    color: str = ""


@dataclass
class Chart:
    slug: str  # unique on its page; names the CSV
    title: str
    kind: str  # line | bar | hbar | stacked | scatter | heat
    columns: list[str]
    rows: list[list[Any]]
    series: list[Series]
    description: str = ""  # what it shows, read by screen readers with the canvas
    x_title: str = ""
    y_title: str = ""
    y2_title: str = ""
    percent: bool = False  # the y (hbar: x) axis holds shares 0..1
    label_column: int | None = None  # scatter: the column naming each point
    empty: str = "No data yet."
    csv_url: str = ""  # set by the view
    extra: dict[str, Any] = field(default_factory=dict)

    def spec(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "columns": self.columns,
            "rows": self.rows,
            "series": [s.__dict__ for s in self.series],
            "x_title": self.x_title,
            "y_title": self.y_title,
            "y2_title": self.y2_title,
            "percent": self.percent,
            "label_column": self.label_column,
            **self.extra,
        }

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(self.columns)
        for row in self.rows:
            writer.writerow([_cell(value) for value in row])
        return out.getvalue()


def _cell(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula is quoted (CSV injection)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
