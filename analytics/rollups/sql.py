"""The rollup tables as the writer sees them (keys, counters, descriptive columns) and
the SQL that writes them: one ``INSERT ... ON CONFLICT`` per table and chunk, adding
counters, inserting membership rows, overwriting learner state (PostgreSQL and SQLite)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection

from analytics import models as m


@dataclass(frozen=True)
class Table:
    model: type
    keys: tuple[str, ...]  # columns of the conflict target
    adds: tuple[str, ...]  # counters: deltas are added
    sets: tuple[str, ...] = ()  # descriptive columns, written as given

    @property
    def name(self) -> str:
        return self.model._meta.db_table


TABLES: dict[str, Table] = {
    "course_summary": Table(m.CourseSummary, ("course_id",), ("learners", "events", "enrollments", "unenrollments")),
    "course_day": Table(m.CourseDay, ("course_id", "day"), ("events", "active", "enrollments", "unenrollments",
                                                           "video_plays", "quiz_attempts", "lab_gradings")),
    "week_funnel": Table(m.WeekFunnel, ("week_id",), ("reached", "completed"), ("course_id",)),
    "video_summary": Table(m.VideoSummary, ("activity_id",), (
        "openers", "viewers", "completions", "watched_buckets", "speed_changers", "plays", "pauses",
        "seeks_back", "seeks_forward", "speed_changes"), ("course_id", "bucket_seconds", "buckets")),
    "video_bucket": Table(m.VideoBucket, ("activity_id", "bucket"), ("coverage", "reach", "rewatch")),
    "video_speed": Table(m.VideoSpeed, ("activity_id", "speed"), ("changes", "learners")),
    "quiz_summary": Table(m.QuizSummary, ("activity_id",), (
        "attempts", "passed", "first_attempts", "first_passed", "first_correct", "first_questions"), ("course_id",)),
    "quiz_score_bin": Table(m.QuizScoreBin, ("activity_id", "bin"), ("attempts",)),
    "quiz_item": Table(m.QuizItem, ("activity_id", "question"), ("n", "sum_x", "sum_y", "sum_yy", "sum_xy",
                                                                 "all_n", "all_correct")),
    "quiz_option": Table(m.QuizOption, ("activity_id", "question", "option"), ("first_attempts", "attempts")),
    "lab_summary": Table(m.LabSummary, ("activity_id",), (
        "learners", "attempted", "passed", "attempts_to_pass", "minutes_to_pass", "runs", "submits", "ungradable"),
        ("course_id",)),
    "lab_attempt_bin": Table(m.LabAttemptBin, ("activity_id", "outcome", "bin"), ("learners",)),
    "lab_time_bin": Table(m.LabTimeBin, ("activity_id", "bin"), ("learners",)),
    "lab_test": Table(m.LabTest, ("activity_id", "test"), ("gradings", "passed", "submit_gradings", "submit_passed")),
    "lab_failure": Table(m.LabFailure, ("activity_id", "test", "kind", "feedback"), ("failures",), ("hint",)),
    "recommendation_day": Table(m.RecommendationDay, ("course_id", "day", "policy"),
                                ("shown", "followed", "dismissed")),
}  # fmt: skip

STATE_MODELS = (m.LearnerCourse, m.LearnerDay, m.LearnerWeek, m.LearnerPassed, m.LearnerVideo, m.LearnerLab,
                m.LearnerRecommendation)  # fmt: skip


TABLE_LEARNER_WEEK = Table(m.LearnerWeek, ("week_id", "learner_id"), ("passed",))


ROWS_PER_STATEMENT = 500  # SQLite: rows per multi-row VALUES (PostgreSQL sends arrays)


def adapt(value):
    if isinstance(value, dt.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, dt.date):
        return connection.ops.adapt_datefield_value(value)
    return value


def write(
    model,
    columns: tuple[str, ...],
    rows: list[tuple],
    *,
    keys: tuple[str, ...] = (),
    adds: tuple[str, ...] = (),
    sets: tuple[str, ...] = (),
    returning: tuple[str, ...] = (),
) -> list[tuple]:
    """INSERT rows; on a conflict on ``keys`` add the ``adds`` columns to the row there
    and overwrite the ``sets`` columns, or (neither given) leave it. Returns the
    ``returning`` columns of the rows inserted or updated.

    PostgreSQL gets one statement per call whatever the number of rows: a column per
    array, ``INSERT ... SELECT * FROM unnest(...)`` (a short query text: no per-row
    placeholders to build or parse). SQLite gets multi-row VALUES."""
    if not rows:
        return []
    table = model._meta.db_table
    fields = {f.column: f for f in model._meta.concrete_fields}
    if adds or sets:
        updates = [f"{c} = {table}.{c} + excluded.{c}" for c in adds] + [f"{c} = excluded.{c}" for c in sets]
        action = f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {', '.join(updates)}"
    else:
        action = "ON CONFLICT DO NOTHING"
    tail = f" RETURNING {', '.join(returning)}" if returning else ""
    out: list[tuple] = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays, selects, params = [], [], []
            for index, column in enumerate(columns):
                values, kind, cast = [row[index] for row in rows], fields[column].db_type(connection), ""
                if kind == "jsonb":  # sent as text, cast by the server
                    values, kind, cast = [json.dumps(v) for v in values], "text", "::jsonb"
                arrays.append(f"%s::{kind}[]")
                selects.append(f"c{index}{cast}")
                params.append(values)
            names = ", ".join(f"c{index}" for index in range(len(columns)))
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(selects)} "
                f"FROM unnest({', '.join(arrays)}) AS u({names}) {action}{tail}",
                params,
            )
            return cursor.fetchall() if returning else []
        for start in range(0, len(rows), ROWS_PER_STATEMENT):
            part = rows[start : start + ROWS_PER_STATEMENT]
            placeholder = "(" + ", ".join(["%s"] * len(columns)) + ")"
            params = [
                json.dumps(v)
                if fields[c].db_type(connection) == "text" and isinstance(v, list | dict)
                else adapt(v)
                for row in part
                for c, v in zip(columns, row, strict=True)
            ]
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([placeholder] * len(part))} "
                f"{action}{tail}",
                params,
            )
            if returning:
                out += cursor.fetchall()
    return out


def insert_new(model, columns: tuple[str, ...], rows: Iterable[tuple]) -> list[tuple]:
    """Insert membership rows; return those that were not there before."""
    return write(model, columns, list(rows), returning=columns)


def upsert_add(table: Table, rows: list[tuple], *, returning: tuple[str, ...] = ()) -> list[tuple]:
    """Rows are (keys..., adds..., sets...): insert, or add the counters to the row there."""
    return write(
        table.model,
        (*table.keys, *table.adds, *table.sets),
        rows,
        keys=table.keys,
        adds=table.adds,
        sets=table.sets,
        returning=returning,
    )


def existing(model, keys: Iterable[tuple[int, int]], fields: tuple[str, ...]) -> dict[tuple[int, int], tuple]:
    """The ``fields`` of the state rows for (activity, learner) keys, by key."""
    keys, out = list(keys), {}
    for start in range(0, len(keys), ROWS_PER_STATEMENT):
        part = keys[start : start + ROWS_PER_STATEMENT]
        wanted = set(part)
        rows = model.objects.filter(
            activity_id__in={a for a, _ in part}, learner_id__in={learner for _, learner in part}
        ).values_list("activity_id", "learner_id", *fields)
        out.update(((activity, learner), tuple(values)) for activity, learner, *values in rows
                   if (activity, learner) in wanted)  # fmt: skip
    return out
