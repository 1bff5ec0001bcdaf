from django.urls import path

from . import views

urlpatterns = [
    path("courses/<slug:course>/", views.course_detail, name="course-detail"),
    path("courses/<slug:course>/progress/", views.course_progress, name="course-progress"),
    path("courses/<slug:course>/journey/", views.course_journey, name="course-journey"),
    path("courses/<slug:course>/certificates/", views.course_certificates, name="course-certificates"),
    # any text: a mistyped code gets the site's "not found" page, not a URL-resolver error
    path("certificates/<str:code>/", views.certificate, name="certificate"),
]
