from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from lms.core.access import EVERYONE, access

from .models import Certificate


@access(EVERYONE)
def certificate(request: HttpRequest, code: str) -> HttpResponse:
    """The public verification page of a certificate (anyone with the link)."""
    found = Certificate.objects.select_related("learner", "course").filter(code=code).first()
    if found is None:
        raise Http404("No certificate with this code")
    return render(request, "progress/certificate.html", {"certificate": found})
