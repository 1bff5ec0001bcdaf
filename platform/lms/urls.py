from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("lms.core.urls")),
    path("", include("lms.tracking.urls")),
    path("", include("lms.courses.urls")),
    path("", include("lms.labs.urls")),
]
