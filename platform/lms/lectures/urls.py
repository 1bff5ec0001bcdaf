from django.urls import path

from . import views

urlpatterns = [
    path("lectures/<slug:activity>/video.mp4", views.lecture_video, name="lecture-video"),
    path("lectures/<slug:activity>/captions.vtt", views.lecture_captions, name="lecture-captions"),
    path("lectures/<slug:activity>/status", views.lecture_status, name="lecture-status"),
]
