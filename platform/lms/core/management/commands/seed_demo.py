"""Seed a development site: the catalog from course_content/, demo accounts (and, as they
exist, demo data).

Idempotent: running it again keeps what is there. Refuses to run in production.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from course_content.loader import ContentInvalid
from lms.accounts.models import User
from lms.accounts.services import demo_users_ensure
from lms.courses.models import Course, CourseRole, Enrollment
from lms.courses.services import course_import, enrollment_create


class Command(BaseCommand):
    help = "Create the demo student, instructor and analyst accounts (development only)."

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("seed_demo creates accounts with published passwords: not in production")
        for course_dir in sorted(p.parent for p in Path(settings.CONTENT_ROOT).glob("*/course.yaml")):
            try:
                report = course_import(course_dir=course_dir)
            except ContentInvalid as exc:
                self.stderr.write(
                    f"skipped {course_dir.name}: {len(exc.errors)} content error(s); see check_content"
                )
                continue
            self.stdout.write(f"course {report.course}: {report.summary()}")
        users = demo_users_ensure()
        student = User.objects.get(username=users["student"][0])
        instructor = User.objects.get(username=users["instructor"][0])
        for course in Course.objects.filter(external_source=""):
            enrollment_create(user=student, course=course, track=Enrollment.Track.VERIFIED)
            CourseRole.objects.get_or_create(user=instructor, course=course)
        self.stdout.write("Demo logins (development only):")
        for role, (username, password) in users.items():
            self.stdout.write(f"  {role:<10} {username} / {password}")
