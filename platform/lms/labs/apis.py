"""Lab submissions over HTTP: POST a Run or Submit, then poll its status and feedback;
POST a completed .ipynb to get its code back for the editor."""

from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

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


class SubmissionCreateApi(APIView):
    permission_classes = [IsAuthenticated]

    class Input(serializers.Serializer):
        code = serializers.CharField(trim_whitespace=False, allow_blank=True)
        mode = serializers.ChoiceField(choices=Submission.Mode.choices)

    def post(self, request, activity: str):
        lab = get_object_or_404(Activity, slug=activity, kind=Activity.Kind.LAB, retired=False)
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            submission = submission_create(learner=request.user, activity=lab, **data.validated_data)
        except SubmissionRefused as exc:
            return Response({"error": str(exc)}, status=exc.status)
        return Response(SubmissionOutput(submission).data, status=status.HTTP_202_ACCEPTED)


@login_required
def submission_detail(request: HttpRequest, submission_id: str) -> JsonResponse:
    submission = get_object_or_404(Submission.objects.select_related("activity"), pk=submission_id,
                                   learner=request.user)  # fmt: skip
    return JsonResponse(SubmissionOutput(submission).data)


class NotebookUploadApi(APIView):
    """A completed notebook (multipart field ``notebook``) as this lab's code: ``{"code": ...}``
    for the editor, or 400 ``{"error": ...}``. Nothing is stored; the learner Runs or Submits it."""

    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser]

    def post(self, request, activity: str):
        lab = get_object_or_404(Activity, slug=activity, kind=Activity.Kind.LAB, retired=False)
        try:
            code = notebook_upload_code(
                upload=request.FILES.get("notebook"), lab_dir=Path(settings.CONTENT_ROOT) / lab.lab_path
            )
        except NotebookRefused as exc:
            return Response({"error": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        return Response({"code": code})
