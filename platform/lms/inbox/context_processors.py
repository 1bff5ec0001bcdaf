from .selectors import messages_unread_count


def inbox(request) -> dict:
    """The unread count beside "Inbox" in the navigation: one indexed count per page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"inbox_unread": messages_unread_count(user=user)}
