"""Readers for public learning-data layouts (knowledge-tracing folds, raw MOOC logs).

Every reader turns its layout into the same *interaction frame*, one row per learner
action, so that the platform's importer (``import_events --format <layout>``) and the
library's benchmarks (``python -m recommender benchmark``) read a data set through one
piece of code. The frame's columns (``COLUMNS``; a reader may leave optional ones out):

==========  =============================================================================
learner     str, the learner's id as the data set gives it (never rewritten)
order       int, the row's position in the learner's history (ties of ``time`` keep it)
time        UTC timestamp, or NaT where the layout has only an order
course      str, the course or data set the row belongs to
activity    str, what the learner worked on: for a question, its unit of practice
            (the skill or problem set) when the layout names one, else the question
kind        ``question`` (a graded attempt), ``video``, ``reading``, ``lab``, ``quiz``
question    str, the question / item id (``question`` rows)
concepts    str, skills or concepts, several joined by ``;`` (optional)
correct     float, 1.0 / 0.0, NaN when unknown
score       float in [0, 1], NaN when unknown (optional)
answer      str, the learner's answer (optional)
position    float, seconds into a video (optional)
==========  =============================================================================

Knowledge-tracing layouts also split learners into folds; ``kt`` reads those splits.
"""

from __future__ import annotations

COLUMNS = (
    "learner", "order", "time", "course", "activity", "kind", "question", "concepts", "correct",
    "score", "answer", "position",
)  # fmt: skip
REQUIRED = ("learner", "order", "activity", "kind")
