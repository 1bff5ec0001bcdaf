from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from lms.tracking.interop.structure import StructureInvalid
from lms.tracking.interop.structure_import import course_structures_import_file


class Command(BaseCommand):
    help = (
        "Import an Open edX course structure: a Course Blocks API / Course Structure API JSON "
        "file (or JSON lines, one course a line), or an OLX course export (.tar.gz, or its unpacked folder). Chapters become weeks, "
        "components ordered activities with their kind and name, on the same rows the edX "
        "event import uses (before or after it). Idempotent; nothing is written on an error."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="structure files or export folders")
        parser.add_argument("--format", default="auto", choices=["auto", "json", "olx"])
        parser.add_argument(
            "--course-id",
            help="the course key the tracking logs use, when it differs from the structure's "
            "(e.g. MITx/6.00x/2013_Spring for an old course)",
        )

    def handle(self, *args, paths, format, course_id, **options):
        if course_id and len(paths) > 1:
            raise CommandError("--course-id names one course: give one path with it")
        for path in paths:
            try:
                reports = course_structures_import_file(path=Path(path), format=format, course_key=course_id)
            except StructureInvalid as exc:
                raise CommandError(f"{path}: {exc}; nothing was imported") from exc
            for report in reports:
                self.stdout.write(report.summary())
        self.stdout.write(
            "Dashboards group figures by week: run `manage.py rollups_update --rebuild` "
            "if this course's events were already rolled up."
        )
