from django.urls import path

from . import views

urlpatterns = [
    path("me/messages/read/", views.messages_read, name="messages-read"),
]
