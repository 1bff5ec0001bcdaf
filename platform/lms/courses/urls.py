from django.urls import path

from . import views

urlpatterns = [
    path("courses/<slug:course>/", views.course_detail, name="course-detail"),
    path("media/course/<str:name>", views.course_media, name="course-media"),
    path("courses/<slug:course>/<slug:activity>/", views.activity_detail, name="activity-detail"),
    path("courses/<slug:course>/<slug:activity>/notebook.ipynb", views.lab_download, name="lab-download"),
]
