import os
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from lms.tracking.interop import IMPORT_FORMATS, events_import
from lms.tracking.interop.common import CHUNK_EVENTS


class Command(BaseCommand):
    help = (
        "Import clickstream files: Open edX tracking logs (.log, .log.gz), xAPI statements "
        "(JSON array or JSON lines) or interaction tables (CSV, Parquet). Idempotent: "
        "importing a file again stores nothing new."
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
        parser.add_argument("--chunk-size", type=int, default=CHUNK_EVENTS, help="events per write")
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help="edX logs: parse and store in this many processes (e.g. the number of cores)",
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
        **options,
    ):
        if format not in IMPORT_FORMATS:
            raise CommandError(f"unknown format {format!r}; formats: {', '.join(IMPORT_FORMATS)}")
        if chunk_size < 1 or workers < 1:
            raise CommandError("--chunk-size and --workers must be at least 1")
        files = [Path(p) for p in paths]
        for path in files:
            if not path.is_file() or not os.access(path, os.R_OK):
                raise CommandError(f"cannot read {path}: no such file, or not readable")
        total = sum(p.stat().st_size for p in files) if format != "table" else None
        bar = tqdm(
            total=total,
            unit="B" if total is not None else " rows",
            unit_scale=True,
            desc=f"import {format}",
            file=getattr(self.stderr, "_out", sys.stderr),
            disable=no_progress,
        )
        try:
            with bar:
                report = events_import(
                    format=format, paths=files, course=course, learner_prefix=learner_prefix,
                    site=site_url, chunk_size=chunk_size, progress=bar.update, workers=workers,
                )  # fmt: skip
        except (OSError, EOFError, UnicodeDecodeError) as exc:
            raise CommandError(
                f"reading failed: {exc}. Chunks stored before the failure stay stored; "
                "importing the files again skips them as duplicates."
            ) from exc
        for line in report.summary():
            self.stdout.write(line)
