"""Sign-up. Log-in, log-out and password reset are Django's own views (lms/urls.py)."""

from django import forms
from django.contrib.auth import login
from django.contrib.auth.forms import UserCreationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters

from lms.core.access import EVERYONE, access
from lms.core.ratelimit import by_ip, rate_limited

from .models import User


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
