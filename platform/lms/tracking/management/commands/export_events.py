import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from lms.courses.models import Course
from lms.tracking.interop.export import FORMATS, events_export, events_queryset
from lms.tracking.management.progress import progress_bar


def _moment(value: str | None, option: str) -> dt.datetime | None:
    if value is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(
            f"{option} {value!r} is not an ISO 8601 date or time, e.g. 2026-11-01 or 2026-11-01T08:00:00Z"
        ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


class Command(BaseCommand):
    help = (
        "Export stored events as Open edX tracking-log lines, xAPI statements or Parquet, "
        "ordered by time, streaming."
    )

    def add_arguments(self, parser):
        parser.add_argument("--format", required=True, help=f"one of: {', '.join(FORMATS)}")
        parser.add_argument("--out", required=True, help="file to write (.gz compresses edx/xapi)")
        parser.add_argument("--course", help="only this course (slug)")
        parser.add_argument("--since", help="from this time on (ISO 8601; a date is midnight UTC)")
        parser.add_argument("--until", help="before this time (exclusive)")
        parser.add_argument("--site-url", help="this site's URL, for xAPI IRIs and edX pages")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, format, out, course, since, until, site_url, no_progress, **options):
        if format not in FORMATS:
            raise CommandError(f"unknown format {format!r}; formats: {', '.join(FORMATS)}")
        since_at, until_at = _moment(since, "--since"), _moment(until, "--until")
        if since_at and until_at and until_at <= since_at:
            raise CommandError("--until must be later than --since")
        course_id = None
        if course:
            course_id = Course.objects.filter(slug=course).values_list("pk", flat=True).first()
            if course_id is None:
                raise CommandError(f"unknown course {course!r}")
        path = Path(out)
        if path.exists() and path.is_dir():
            raise CommandError(f"{path} is a directory")
        total = (
            None
            if no_progress
            else events_queryset(course_id=course_id, since=since_at, until=until_at).count()
        )
        bar = progress_bar(self, total=total, unit=" events", desc=f"export {format}", disable=no_progress)
        try:
            with bar:
                report = events_export(
                    format=format, out=path, course=course, since=since_at, until=until_at,
                    site=site_url, progress=bar.update,
                )  # fmt: skip
        except OSError as exc:
            raise CommandError(f"cannot write {path}: {exc}") from exc
        for line in report.summary():
            self.stdout.write(line)
