"""Recompute the learners at risk now (what the beat task does every ten minutes)."""

from django.core.management.base import BaseCommand, CommandError

from analytics.risk import learner_risk_refresh
from lms.courses.models import Course


class Command(BaseCommand):
    help = "Recompute each active enrollment's risk of disengaging (the at-risk page reads it)."

    def add_arguments(self, parser):
        parser.add_argument("--course", help="a course slug (default: every course)")

    def handle(self, *args, course, **options):
        found = None
        if course:
            found = Course.objects.filter(slug=course).first()
            if found is None:
                raise CommandError(f"no course {course!r}")
        for slug, rows in learner_risk_refresh(course=found).items():
            self.stdout.write(f"{slug}: {rows} learners")
