from django.urls import path

from . import views

prefix = "courses/<slug:course>/<slug:activity>/discussion/"

urlpatterns = [
    path(prefix, views.discussion, name="discussion"),
    path(f"{prefix}new/", views.thread_new, name="discussion-thread-new"),
    path(f"{prefix}<int:thread>/", views.thread_page, name="discussion-thread"),
    path(f"{prefix}<int:thread>/reply/", views.reply_new, name="discussion-reply"),
    path(f"{prefix}<int:thread>/answer/", views.answer_mark, name="discussion-answer"),
]
