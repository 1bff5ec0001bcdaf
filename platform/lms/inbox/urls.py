from django.urls import path

from . import views

urlpatterns = [
    path("me/inbox/", views.inbox, name="inbox"),
    path("me/inbox/open/", views.message_open, name="message-open"),
    path("me/messages/read/", views.messages_read, name="messages-read"),
]
