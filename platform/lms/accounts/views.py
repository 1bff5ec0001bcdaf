"""Sign-up and the password-reset request. Log-in, log-out and the rest of the reset
(the link's page) are Django's own views (lms/urls.py)."""

import logging

from django import forms
from django.contrib.auth import login
from django.contrib.auth.forms import PasswordResetForm, UserCreationForm
from django.contrib.sites.shortcuts import get_current_site
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters

from lms.core.access import EVERYONE, access
from lms.core.ratelimit import by_ip, by_posted, rate_limited

from .models import User
from .tasks import password_reset_send_task

log = logging.getLogger(__name__)


class SignUpForm(UserCreationForm):
    email = forms.EmailField(required=True, help_text="For password resets only; never shown to anyone.")

    class Meta:
        model = User
        fields = ("username", "email")


@rate_limited(("signup-ip", by_ip))
@access(EVERYONE)
@sensitive_post_parameters("password1", "password2")
def signup(request: HttpRequest) -> HttpResponse:
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("home")
    return render(request, "registration/signup.html", {"form": form})


@rate_limited(("password-reset-ip", by_ip), ("password-reset-email", by_posted("email")))
@access(EVERYONE)
def password_reset(request: HttpRequest) -> HttpResponse:
    """Ask for a reset link. The request only checks the address's form and queues
    ``password_reset_send_task`` with it; the task looks the address up and sends the
    mail. So a known and an unknown address cost the request the same work (no user
    query, no mail, no SMTP round trip) and get the same page. Limited per client and per
    address (``settings.RATE_LIMITS``): over the limit, the 429 page says when to retry."""
    form = PasswordResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        args = (form.cleaned_data["email"], get_current_site(request).domain, request.is_secure())
        try:
            password_reset_send_task.apply_async(
                args=args, retry_policy={"max_retries": 2, "interval_start": 0.2}
            )
        except Exception as exc:  # noqa: BLE001 - broker down: the page is the same; the address is not logged
            log.warning("could not queue a password reset (%s)", type(exc).__name__)
        return redirect("password_reset_done")
    return render(request, "registration/password_reset_form.html", {"form": form})
