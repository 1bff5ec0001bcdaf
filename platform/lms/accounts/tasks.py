"""Celery tasks of accounts (queue ``default``)."""

from smtplib import SMTPException

from celery import shared_task


@shared_task(
    name="accounts.password_reset_send",
    acks_late=True,
    ignore_result=True,  # nothing about the address is kept in the result store
    autoretry_for=(SMTPException, ConnectionError, TimeoutError),
    retry_backoff=True,
    max_retries=3,
    time_limit=120,
)
def password_reset_send_task(email: str, domain: str, use_https: bool) -> None:
    """Look the address up and mail the reset link (``services.password_reset_send``).
    The one task that takes an address, not an id: the request must not look it up.
    Running twice sends a second, equally valid link: harmless."""
    from .services import password_reset_send

    password_reset_send(email=email, domain=domain, use_https=use_https)
