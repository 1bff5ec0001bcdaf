"""Lab submissions over HTTP: POST a Run or Submit, then poll its status and feedback;
POST a completed .ipynb to get its code back for the editor."""

from pathlib import Path

from django.conf import settings
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from lms.core.access import OWNER, SIGNED_IN, STUDENT, access
from lms.core.ratelimit import by_ip, by_user, rate_limited
from lms.core.schema import ErrorSerializer
from lms.courses.models import Activity

from .models import Submission
from .notebooks import NotebookRefused, notebook_upload_code
from .services import SubmissionRefused, submission_create


class SubmissionOutput(serializers.ModelSerializer):
    activity = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Submission
        fields = [
            "id",
            "activity",
            "mode",
            "status",
            "score",
            "result",
            "error",
            "created",
            "started",
            "finished",
        ]


ERROR = ErrorSerializer
# DRF's own refusals (invalid fields, not logged in, not found) carry other keys than "error".
PROBLEM = OpenApiResponse(OpenApiTypes.OBJECT, description='{"error": ...}, {"detail": ...} or field errors')
PENDING = OpenApiResponse(
    inline_serializer(
        "SubmissionPending",
        {"error": serializers.CharField(), "pending": serializers.UUIDField(required=False)},
    ),
    description="the learner's previous submission of this lab is still queued or running (its id)",
)


def _responses(own: dict) -> dict:
    """A lab POST's answers by code: ``own`` and the refusals both POSTs can give (not
    allowed, no such lab, too large, an unsupported media type, too many requests)."""
    return dict(sorted({403: PROBLEM, 404: PROBLEM, 413: ERROR, 415: PROBLEM, 429: ERROR, **own}.items()))


@access(OWNER, STUDENT)  # learners enrolled in the lab's course; anyone else: 403
class SubmissionCreateApi(APIView):
    permission_classes = [IsAuthenticated]

    class Input(serializers.Serializer):
        code = serializers.CharField(trim_whitespace=False, allow_blank=True)
        mode = serializers.ChoiceField(choices=Submission.Mode.choices)

    @extend_schema(
        request=Input,
        responses=_responses({202: SubmissionOutput, 400: PROBLEM, 409: PENDING}),
        summary="Run (public tests) or Submit (graded) this lab's code; poll the submission",
    )
    def post(self, request, activity: str):
        lab = get_object_or_404(Activity, slug=activity, kind=Activity.Kind.LAB, retired=False)
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            submission = submission_create(learner=request.user, activity=lab, **data.validated_data)
        except SubmissionRefused as exc:
            headers = {"Retry-After": "60"} if exc.status == status.HTTP_429_TOO_MANY_REQUESTS else None
            body = {"error": str(exc)}
            if exc.pending is not None:  # the page follows that one instead
                body["pending"] = str(exc.pending.pk)
            return Response(body, status=exc.status, headers=headers)
        return Response(SubmissionOutput(submission).data, status=status.HTTP_202_ACCEPTED)


submission_create_api = rate_limited(("lab-submissions-user", by_user), ("lab-submissions-ip", by_ip))(
    SubmissionCreateApi.as_view()
)


@access(OWNER)  # anyone else: 404
@extend_schema(
    responses={200: SubmissionOutput, 403: PROBLEM, 404: PROBLEM},
    summary="A submission's status and feedback",
)
@api_view(["GET"])
def submission_detail(request, submission_id: str) -> Response:
    submission = get_object_or_404(Submission.objects.select_related("activity"), pk=submission_id,
                                   learner=request.user)  # fmt: skip
    return Response(SubmissionOutput(submission).data)


@access(SIGNED_IN)
class NotebookUploadApi(APIView):
    """A completed notebook (multipart field ``notebook``) as this lab's code: ``{"code": ...}``
    for the editor, or 400 ``{"error": ...}``. Nothing is stored; the learner Runs or Submits it."""

    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={
            "multipart/form-data": inline_serializer("NotebookUpload", {"notebook": serializers.FileField()})
        },
        responses=_responses(
            {200: inline_serializer("NotebookCode", {"code": serializers.CharField()}), 400: ERROR}
        ),
        summary="A completed .ipynb of this lab as its code for the editor (nothing is stored)",
    )
    def post(self, request, activity: str):
        lab = get_object_or_404(Activity, slug=activity, kind=Activity.Kind.LAB, retired=False)
        try:
            code = notebook_upload_code(
                upload=request.FILES.get("notebook"), lab_dir=Path(settings.CONTENT_ROOT) / lab.lab_path
            )
        except NotebookRefused as exc:
            return Response({"error": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        return Response({"code": code})


notebook_upload_api = rate_limited(("lab-notebook-user", by_user), ("lab-notebook-ip", by_ip))(
    NotebookUploadApi.as_view()
)
