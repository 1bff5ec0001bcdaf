"""Make the lecture videos of the curriculum ahead of the first learner.

    python manage.py lectures_prepare                      # queue every generated lecture (media-bulk)
    python manage.py lectures_prepare --course SLUG ...    # only these courses
    python manage.py lectures_prepare --now                # make them here, one by one (no worker)
    python manage.py lectures_prepare --retry              # queue failed ones again

Queuing returns at once (``make run`` does it before the server starts); a lecture
already made from the current text is skipped.
"""

from django.core.management.base import BaseCommand, CommandError

from lms.courses.models import Activity, Course
from lms.lectures.models import LectureRender
from lms.lectures.selectors import GENERATED, lecture_source
from lms.lectures.services import lecture_make, lecture_request, lecture_retry


class Command(BaseCommand):
    help = "Queue (or make, with --now) the lecture videos generated from transcripts."

    def add_arguments(self, parser):
        parser.add_argument("--course", action="append", default=[], help="course slug (repeatable)")
        parser.add_argument("--now", action="store_true", help="make them in this process instead of queuing")
        parser.add_argument("--retry", action="store_true", help="queue failed lectures again")

    def handle(self, *args, course, now, retry, **options):
        unknown = set(course) - set(Course.objects.filter(slug__in=course).values_list("slug", flat=True))
        if unknown:
            raise CommandError(f"unknown course(s): {', '.join(sorted(unknown))}")
        videos = Activity.objects.filter(kind=Activity.Kind.VIDEO, retired=False, course__external_source="")
        if course:
            videos = videos.filter(course__slug__in=course)
        counts = {"queued": 0, "ready": 0, "failed": 0}
        for activity in videos.select_related("course").order_by(
            "course__number", "week__position", "position"
        ):
            if lecture_source(activity) != GENERATED:
                continue
            render = (
                lecture_retry(activity=activity)
                if retry
                else lecture_request(activity=activity, bulk=True, send=not now)
            )
            if now and render.status != LectureRender.Status.READY:
                made = lecture_make(render_id=render.pk)
                render = made or render
                self.stdout.write(f"{activity.slug}: {render.status} {render.error}".rstrip())
            counts[{"queued": "queued", "running": "queued"}.get(render.status, render.status)] += 1
        self.stdout.write(
            f"lectures: {counts['ready']} ready, {counts['queued']} queued or being made, {counts['failed']} failed"
        )
