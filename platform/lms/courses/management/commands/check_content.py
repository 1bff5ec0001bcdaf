from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from course_content.__main__ import main as course_content_main


class Command(BaseCommand):
    help = (
        "Validate every course and prove, for every lab in a fresh process, that the reference "
        "solution passes all tests and the unchanged starter fails them. Prints the catalog counts."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", help="course folders (default: the whole catalog)")
        parser.add_argument("--validate-only", action="store_true", help="skip running the labs")

    def handle(self, *args, paths, validate_only, **options):
        command = "validate" if validate_only else "check"
        status = course_content_main([command, *(paths or [str(settings.CONTENT_ROOT)])])
        if status:
            raise CommandError("course content has errors (see above)")
