"""Asking for a version's off-policy estimate from the registry page (analysts, staff)."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from lms.accounts.roles import analyst_required
from lms.core.access import ANALYSTS, access

from .models import ModelVersion
from .ope import OPERefused, ope_request


@access(*ANALYSTS)
@analyst_required
@require_POST
def ope_estimate(request: HttpRequest, number: int) -> HttpResponse:
    version = get_object_or_404(ModelVersion, number=number)
    try:
        ope_request(version=version)
        messages.success(request, f"Estimating {version} from the logs; the result appears below when done.")
    except OPERefused as exc:
        messages.error(request, str(exc))
    return redirect(reverse("model-registry") + "#ope")
