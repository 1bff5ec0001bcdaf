from django.urls import path

from . import apis

urlpatterns = [
    path("api/events", apis.events_post, name="events-post"),
]
