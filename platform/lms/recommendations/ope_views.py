"""Asking for a version's off-policy estimate from the registry page (analysts, staff)."""

from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from .models import ModelVersion
from .ope import OPERefused, ope_request
from .staff_views import registry_post


@registry_post(OPERefused, anchor="#ope")
def ope_estimate(request: HttpRequest, number: int) -> str:
    version = get_object_or_404(ModelVersion, number=number)
    ope_request(version=version)
    return f"Estimating {version} from the logs; the result appears below when done."
