from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from course_content.schema import ContentInvalid
from lms.courses.services import course_import


class Command(BaseCommand):
    help = "Import (or re-import) courses from course_content/<slug> folders. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", help="course folders, e.g. course_content/sequence-models")
        parser.add_argument("--all", action="store_true", help="every course under CAIRN_CONTENT_ROOT")

    def handle(self, *args, paths, all, **options):
        if all:
            paths = sorted(str(p.parent) for p in Path(settings.CONTENT_ROOT).glob("*/course.yaml"))
        if not paths:
            raise CommandError("name course folders, or use --all")
        for path in paths:
            try:
                report = course_import(course_dir=Path(path))
            except ContentInvalid as exc:
                raise CommandError(f"{path} has errors; nothing was imported:\n{exc}") from exc
            except FileNotFoundError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(f"{report.course}: {report.summary()}")
