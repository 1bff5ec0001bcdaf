from django.urls import path

from lms.progress import views as progress_views

from . import views

urlpatterns = [
    path("courses/<slug:course>/", views.course_detail, name="course-detail"),
    path("courses/<slug:course>/enroll", views.course_enroll, name="course-enroll"),
    path("courses/<slug:course>/next-session", views.course_session_next, name="course-session-next"),
    path("courses/<slug:course>/progress/", views.course_progress, name="course-progress"),
    path("courses/<slug:course>/journey/", views.course_journey, name="course-journey"),
    path(
        "courses/<slug:course>/certificates/", progress_views.course_certificates, name="course-certificates"
    ),
    path("media/course/<str:name>", views.course_media, name="course-media"),
    path("courses/<slug:course>/<slug:activity>/", views.activity_detail, name="activity-detail"),
    path("courses/<slug:course>/<slug:activity>/notebook.ipynb", views.lab_download, name="lab-download"),
]
