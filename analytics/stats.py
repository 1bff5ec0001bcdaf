"""The statistics behind the dashboards and the pandas API: shares, the point-biserial
item discrimination (from the sums the rollups keep per question) and the Wilson score
interval of a proportion. Pure Python: no Django."""

from __future__ import annotations

import math
from collections.abc import MutableMapping


def fraction(part: float, whole: float) -> float | None:
    """``part / whole``, or None when there is no whole (a share of nobody is unknown)."""
    return part / whole if whole else None


def item_response_add(sums: MutableMapping[str, int], correct: int, rest: int, *, first: bool) -> None:
    """Fold one answer to a question into its item sums (``QuizItem``'s columns):
    ``all_n, all_correct`` for every attempt, and for first attempts ``n, sum_x, sum_y,
    sum_yy, sum_xy``, x being the answer's 0/1 score and y the attempt's ``rest`` score
    (the other questions right), from which ``point_biserial`` is computed."""
    sums["all_n"] += 1
    sums["all_correct"] += correct
    if first:
        sums["n"] += 1
        sums["sum_x"] += correct
        sums["sum_y"] += rest
        sums["sum_yy"] += rest * rest
        sums["sum_xy"] += correct * rest


def point_biserial(n: int, sum_x: int, sum_y: int, sum_yy: int, sum_xy: int) -> float | None:
    """Pearson correlation of a 0/1 item score with the rest score, from sums."""
    if n < 2:
        return None
    p, mean_y = sum_x / n, sum_y / n
    var_x, var_y = p * (1 - p), sum_yy / n - mean_y * mean_y
    if var_x <= 1e-12 or var_y <= 1e-12:
        return None
    return (sum_xy / n - p * mean_y) / math.sqrt(var_x * var_y)


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float | None, float | None]:
    """The 95% Wilson score interval of a proportion (sensible at 0, 1 and small n)."""
    if not n:
        return None, None
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)
