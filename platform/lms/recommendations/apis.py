"""GET /api/v1/me/next-steps: the learner's ranked next steps with reasons and the
policy (model version) that chose them. Instructors may ask for a learner enrolled in a
course they teach, analysts and staff for anyone: ``?learner=<id>``; only a learner's own
request counts as "shown" to them. The learner is answered by id only, never by name, so
an analyst who sees pseudonyms learns nothing more here."""

from django.http import HttpRequest
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from lms.accounts.models import User
from lms.accounts.roles import is_analyst
from lms.core.access import SIGNED_IN, access
from lms.core.schema import ErrorSerializer
from lms.courses.models import CourseRole, Enrollment

from .services import next_steps_compute, next_steps_show


def _may_see(viewer, learner) -> bool:
    if viewer.pk == learner.pk or is_analyst(viewer):
        return True
    taught = CourseRole.objects.filter(user=viewer, role=CourseRole.Role.INSTRUCTOR).values("course_id")
    return Enrollment.objects.filter(user=learner, course_id__in=taught).exists()


class StepOutput(serializers.Serializer):
    activity = serializers.SlugField()
    title = serializers.CharField()
    kind = serializers.CharField()
    course = serializers.SlugField()
    reason = serializers.CharField()
    url = serializers.CharField()


class NextStepsOutput(serializers.Serializer):
    learner = serializers.IntegerField()
    personalized = serializers.BooleanField()
    policy = serializers.CharField(allow_null=True)
    recommendation = serializers.CharField(allow_null=True)
    steps = StepOutput(many=True)


ERROR = ErrorSerializer


@access(*SIGNED_IN)  # each their own; ``?learner=`` as above (tests/.../recommendations/test_registry.py)
class NextStepsApi(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("learner", int, description="another learner's id (instructors, staff)")
        ],
        responses={
            200: NextStepsOutput,
            400: ERROR,
            403: OpenApiResponse(OpenApiTypes.OBJECT, description="not logged in"),
            404: ERROR,
        },
        summary="The learner's ranked next steps with their reasons",
    )
    def get(self, request: HttpRequest) -> Response:
        learner = request.user
        requested = request.query_params.get("learner")
        if requested is not None:
            if not requested.isdigit():
                return Response({"error": "learner must be a user id"}, status=400)
            learner = User.objects.filter(pk=int(requested)).first()
            if learner is None or not _may_see(request.user, learner):
                # The same answer for "no such learner" and "not yours": ids are not probed.
                return Response({"error": "no such learner among those you may see"}, status=404)
        own = learner.pk == request.user.pk
        steps = (next_steps_show if own else next_steps_compute)(learner=learner)
        chosen = [s for s in (steps.primary, *steps.alternatives) if s is not None] if steps else []
        return Response(
            {
                "learner": learner.pk,
                "personalized": learner.personalized,
                "policy": steps.policy if steps else None,
                "recommendation": steps.id if steps else None,
                "steps": [
                    {
                        "activity": s.activity.slug,
                        "title": s.activity.title,
                        "kind": s.activity.kind,
                        "course": s.course.slug,
                        "reason": s.reason,
                        "url": f"/courses/{s.course.slug}/{s.activity.slug}/",
                    }
                    for s in chosen
                ],
            }
        )
