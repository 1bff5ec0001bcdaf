from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from lms.accounts import views as account_views
from lms.core import views as core_views
from lms.core.access import EVERYONE, access
from lms.core.ratelimit import by_ip, by_posted, rate_limited

handler400 = "lms.core.views.bad_request"
handler403 = "lms.core.views.permission_denied"
handler404 = "lms.core.views.not_found"
handler500 = "lms.core.views.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path(
        "accounts/login/",
        access(EVERYONE)(
            rate_limited(("login-ip", by_ip), ("login-username", by_posted("username")))(
                auth_views.LoginView.as_view()
            )
        ),
        name="login",
    ),
    path("accounts/logout/", access(EVERYONE)(auth_views.LogoutView.as_view()), name="logout"),
    path("accounts/signup/", account_views.signup, name="signup"),
    path("accounts/password-reset/", account_views.password_reset, name="password_reset"),
    path(
        "accounts/password-reset/sent/",
        access(EVERYONE)(auth_views.PasswordResetDoneView.as_view()),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        access(EVERYONE)(auth_views.PasswordResetConfirmView.as_view()),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        access(EVERYONE)(auth_views.PasswordResetCompleteView.as_view()),
        name="password_reset_complete",
    ),
    # The OpenAPI schema of /api/... (YAML; ?format=json for JSON); a browser is sent to
    # the documentation page, /api/docs/ (Swagger UI, vendored: no CDN).
    path("api/schema/", core_views.api_schema, name="api-schema"),
    path("", include("lms.site.urls")),
    path("", include("lms.core.urls")),
    path("", include("lms.tracking.urls")),
    path("", include("lms.progress.urls")),  # before courses: its course pages precede the activity pattern
    path("", include("lms.courses.urls")),
    path("", include("lms.discussions.urls")),
    path("", include("lms.labs.urls")),
    path("", include("lms.recommendations.urls")),
    path("", include("lms.privacy.urls")),
    path("", include("lms.inbox.urls")),
    path("", include("lms.lectures.urls")),
    path("", include("lms.search.urls")),
    path("dashboards/", include("analytics.urls")),
]
