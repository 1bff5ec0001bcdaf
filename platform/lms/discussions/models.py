"""One discussion per activity: threads (the opening post is the thread's own body) and
their replies. A thread's author or an instructor may mark one reply as the answer."""

from django.conf import settings
from django.db import models


class Thread(models.Model):
    activity = models.ForeignKey("courses.Activity", on_delete=models.CASCADE, related_name="threads")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="discussion_threads"
    )
    title = models.CharField(max_length=200)
    body = models.TextField()  # Markdown, rendered without raw HTML
    created = models.DateTimeField(auto_now_add=True)
    # The reply marked as the answer; always one of this thread's posts (services check it).
    answer = models.ForeignKey("Post", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["activity", "-created"], name="thread_activity_newest")]

    def __str__(self) -> str:
        return self.title

    @property
    def answered(self) -> bool:
        return self.answer_id is not None


class Post(models.Model):
    """A reply in a thread."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="discussion_posts"
    )
    body = models.TextField()  # Markdown, rendered without raw HTML
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created", "id"]

    def __str__(self) -> str:
        return f"reply {self.pk} in thread {self.thread_id}"
