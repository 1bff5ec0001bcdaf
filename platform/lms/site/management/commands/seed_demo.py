"""Seed a development site: the catalog from course_content/, demo accounts, and a
simulated cohort of learners (docs/simulator.md).

Idempotent: running it again keeps what is there. Refuses to run in production.
"""

from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from course_content.schema import ContentInvalid
from lms.accounts.models import User
from lms.accounts.services import demo_users_ensure
from lms.courses.models import Course, CourseRole, Enrollment
from lms.courses.services import course_import, enrollment_create


class Command(BaseCommand):
    help = "Create the demo student, instructor and analyst accounts (development only)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--cohort", type=int, default=300, help="simulated learners to add once (0: none)"
        )

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
        graduate = User.objects.get(username=users["graduate"][0])
        certificate = _graduate_ensure(learner=graduate)
        if certificate is not None:
            self.stdout.write(
                f"{graduate.username} holds the certificate of {certificate.course.title}: /certificates/{certificate.code}/"
            )
        if options["cohort"] and not User.objects.filter(external_source="simulation").exists():
            # A believable cohort, so dashboards and recommendations have something to show.
            self.stdout.write(f"Simulating a demo cohort of {options['cohort']} learners (once)...")
            call_command("simulate_cohort", "--course", "all", "--learners", str(options["cohort"]),
                         "--days", "56", "--seed", "1", "--no-stats", stdout=self.stdout)  # fmt: skip
        if options["cohort"]:
            from lms.recommendations.models import ModelVersion
            from lms.recommendations.registry import retrain_request

            if not ModelVersion.objects.exists():
                from recommender.train import TrainConfig

                # The training worker picks it up; the rule-based policy serves meanwhile.
                version = retrain_request(train_config=TrainConfig(epochs=3))
                self.stdout.write(
                    f"Queued the first recommender ({version}): `manage.py models` shows progress."
                )
        self.stdout.write("Demo logins (development only):")
        for role, (username, password) in users.items():
            self.stdout.write(f"  {role:<10} {username} / {password}")


def _graduate_ensure(*, learner):
    """The demo graduate: verified in the first course, every activity done and every
    graded item passed, so the course's certificate is issued the way a learner earns it
    (``progress_scored``), with its notification. Idempotent."""
    from lms.courses.models import Activity
    from lms.progress.models import Certificate
    from lms.progress.services import progress_activity_opened, progress_scored

    course = Course.objects.filter(external_source="").order_by("number", "slug").first()
    if course is None:
        return None
    existing = Certificate.objects.filter(learner=learner, course=course).first()
    if existing is not None:
        return existing
    enrollment_create(user=learner, course=course, track=Enrollment.Track.VERIFIED)
    for activity in Activity.objects.filter(course=course, retired=False, week__retired=False).order_by(
        "week__position", "position"
    ):
        progress_activity_opened(learner=learner, activity=activity)
        if activity.graded:
            progress_scored(learner_id=learner.pk, activity=activity, score=1.0, passed=True)
    return Certificate.objects.filter(learner=learner, course=course).first()
