"""The site as gunicorn serves it (``lms.wsgi``), plus one URL for the serving benchmark
only: ``/bench/floor``, a bare authenticated view. It goes through the same middleware,
session and user lookup as ``/api/v1/me/next-steps`` and does nothing else, so its
throughput is the floor the endpoint is compared with (benchmarks/recommender_serving.py).
Never part of the site's URL configuration."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "platform"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()

from django.http import HttpRequest, JsonResponse  # noqa: E402
from django.urls import clear_url_caches, path  # noqa: E402

from lms import urls  # noqa: E402
from lms.core.access import SIGNED_IN, access  # noqa: E402


@access(SIGNED_IN)
def floor(request: HttpRequest) -> JsonResponse:
    """The signed-in learner's id (403 for a visitor): the session read, the user loaded."""
    if not request.user.is_authenticated:
        return JsonResponse({"error": "not logged in"}, status=403)
    return JsonResponse({"learner": request.user.pk})


urls.urlpatterns.insert(0, path("bench/floor", floor))
clear_url_caches()
