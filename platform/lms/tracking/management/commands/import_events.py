import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from lms.tracking.interop import FRAME_FORMATS, IMPORT_FORMATS, events_import
from lms.tracking.interop.ingest import CHUNK_EVENTS, CHUNK_ROWS
from lms.tracking.interop.table_columns import MappingError, mapping_parse
from lms.tracking.management.progress import progress_bar

SHOWN_REASONS = 5  # problems quoted in a failed import's error


class Command(BaseCommand):
    help = (
        "Import clickstream files: Open edX tracking logs (.log, .log.gz), xAPI statements "
        "(JSON array or JSON lines), interaction tables (CSV, Parquet) or data-set layouts "
        f"({', '.join(FRAME_FORMATS)}). Idempotent: importing a file again stores nothing new. "
        "Exits non-zero when more than half of the lines read are rejected or nothing is stored."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="files to import")
        parser.add_argument("--format", required=True, help=f"one of: {', '.join(IMPORT_FORMATS)}")
        parser.add_argument(
            "--course", help="course key for rows/statements that name none (default: the file name)"
        )
        parser.add_argument(
            "--learner-prefix", default="", help="put before every username read, e.g. 'mitx-'"
        )
        parser.add_argument("--site-url", help="this site's URL (xAPI accounts of our own exports)")
        parser.add_argument(
            "--chunk-size",
            type=int,
            default=None,
            help=f"events (edX, xAPI; default {CHUNK_EVENTS}) or rows (tables; default {CHUNK_ROWS}) per write",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help="edX logs: parse and store in this many processes; tables: store in this many "
            "threads, each on its own connection (e.g. the number of cores)",
        )
        parser.add_argument(
            "--map",
            dest="column_map",
            default="",
            help="tables: name columns explicitly, ours=theirs,... "
            "(e.g. correct=answered_correctly,learner=user); overrides the aliases",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(
        self,
        *args,
        paths,
        format,
        course,
        learner_prefix,
        site_url,
        chunk_size,
        workers,
        no_progress,
        column_map,
        **options,
    ):
        if format not in IMPORT_FORMATS:
            raise CommandError(f"unknown format {format!r}; formats: {', '.join(IMPORT_FORMATS)}")
        if (chunk_size is not None and chunk_size < 1) or workers < 1:
            raise CommandError("--chunk-size and --workers must be at least 1")
        try:
            mapping = mapping_parse(column_map)
        except MappingError as exc:
            raise CommandError(str(exc)) from exc
        files = [Path(p) for p in paths]
        for path in files:
            readable = path.is_file() or (format in FRAME_FORMATS and path.is_dir())  # a data set's folder
            if not readable or not os.access(path, os.R_OK):
                raise CommandError(f"cannot read {path}: no such file, or not readable")
        total = sum(p.stat().st_size for p in files) if format in ("edx", "xapi") else None
        unit = "B" if total is not None else " rows"
        bar = progress_bar(self, total=total, unit=unit, desc=f"import {format}", disable=no_progress)
        try:
            with bar:
                report = events_import(
                    format=format, paths=files, course=course, learner_prefix=learner_prefix,
                    site=site_url, chunk_size=chunk_size, progress=bar.update, workers=workers,
                    mapping=mapping,
                )  # fmt: skip
        except MappingError as exc:
            raise CommandError(f"{exc}. Nothing was stored.") from exc
        except (OSError, EOFError, UnicodeDecodeError, ValueError) as exc:
            # ValueError: a file that is not in its format's layout (LayoutError)
            raise CommandError(
                f"reading failed: {exc}. Chunks stored before the failure stay stored; "
                "importing the files again skips them as duplicates."
            ) from exc
        for line in report.summary():
            self.stdout.write(line)
        failure = report.failure()
        if failure:
            reasons = report.problems[:SHOWN_REASONS] or [
                f"skipped {n}: {why}" for why, n in report.skipped.most_common(SHOWN_REASONS)
            ]
            raise CommandError(
                f"import failed: {failure}. First reasons:\n" + "\n".join(f"  {reason}" for reason in reasons)
            )
