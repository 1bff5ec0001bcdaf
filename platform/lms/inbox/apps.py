from django.apps import AppConfig


class InboxConfig(AppConfig):
    name = "lms.inbox"
    label = "inbox"
    verbose_name = "Messages"

    def ready(self) -> None:
        from .receivers import connect

        connect()
