from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from lms.accounts import views as account_views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/signup/", account_views.signup, name="signup"),
    path("accounts/password-reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "accounts/password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"
    ),
    path("", include("lms.core.urls")),
    path("", include("lms.tracking.urls")),
    path("", include("lms.courses.urls")),
    path("", include("lms.discussions.urls")),
    path("", include("lms.labs.urls")),
    path("", include("lms.progress.urls")),
    path("", include("lms.recommendations.urls")),
    path("dashboards/", include("analytics.urls")),
]
