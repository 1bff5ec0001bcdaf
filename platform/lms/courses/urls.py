from django.urls import path

from . import views

# Included after lms.progress's URLs (lms/urls.py): courses/<course>/progress/ and
# /journey/ are its pages, which the activity pattern below would otherwise take.
urlpatterns = [
    path("courses/<slug:course>/enroll", views.course_enroll, name="course-enroll"),
    path("courses/<slug:course>/next-session", views.course_session_next, name="course-session-next"),
    path("media/course/<str:name>", views.course_media, name="course-media"),
    path("courses/<slug:course>/<slug:activity>/", views.activity_detail, name="activity-detail"),
]
