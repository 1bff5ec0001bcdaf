"""``progress_video_fold``: the completion rule for videos (``course_content.rules``) in SQL,
so the ingestion request folds a batch's played segments into progress with one statement
(``lms.progress.services.progress_from_events``). PostgreSQL only: SQLite (``make run``)
folds in Python with the same rules, and tests/platform/lms/progress/test_progress_fold.py
checks both give the same rows."""

from django.db import migrations

# (segments already kept, segments just played, the clip's length in seconds (0 when
# unknown), the coverage kept) -> (merged segments, coverage). The new segments are
# clipped to [0, length] as progress_video_played clips them; empty and reversed ones are
# dropped, touching ones joined (rules.merge_segments: sort, then start a new stretch
# only where one starts after every earlier one has ended). Coverage is the merged length
# over the clip's, at most 1, or the kept coverage when the length is unknown.
CREATE = """
CREATE OR REPLACE FUNCTION progress_video_fold(kept jsonb, played jsonb, length float8, coverage_kept float8)
RETURNS TABLE (segments jsonb, coverage float8)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    WITH pairs AS (
        SELECT (p->>0)::float8 AS s, (p->>1)::float8 AS e FROM jsonb_array_elements(kept) AS p
        UNION
        SELECT greatest(0, (p->>0)::float8),
               CASE WHEN length > 0 THEN least((p->>1)::float8, length) ELSE (p->>1)::float8 END
        FROM jsonb_array_elements(played) AS p
    ), reaching AS (
        SELECT s, e, max(e) OVER (ORDER BY s, e ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach
        FROM pairs WHERE e > s
    ), islands AS (
        -- pairs are distinct (UNION), so no two rows tie on the ordering
        SELECT s, e, count(*) FILTER (WHERE reach IS NULL OR s > reach) OVER (ORDER BY s, e) AS island
        FROM reaching
    ), merged AS (
        SELECT min(s) AS s, max(e) AS e FROM islands GROUP BY island
    )
    SELECT coalesce(jsonb_agg(jsonb_build_array(s, e) ORDER BY s), '[]'::jsonb),
           CASE WHEN length > 0 THEN least(1.0, coalesce(sum(e - s), 0) / length) ELSE coverage_kept END
    FROM merged
$$;
"""
DROP = "DROP FUNCTION IF EXISTS progress_video_fold(jsonb, jsonb, float8, float8);"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("progress", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
