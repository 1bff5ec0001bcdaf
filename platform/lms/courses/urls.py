from django.urls import path

from . import views

urlpatterns = [
    path("media/course/<str:name>", views.course_media, name="course-media"),
    path("courses/<slug:course>/<slug:activity>/", views.activity_detail, name="activity-detail"),
]
