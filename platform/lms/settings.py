"""Cairn settings: one module, driven by the environment (django-environ).

With no variables set you get the embedded development setup: a SQLite file under
``var/`` and Celery over the kombu *filesystem* transport (messages are files under
``var/celery/``), so background jobs still run in a separate worker process off the
request thread without any server. Point ``DATABASE_URL`` at PostgreSQL and
``CELERY_BROKER_URL`` at Redis for the real stack; ``DJANGO_ENV=production`` turns on
the hardened defaults checked by ``manage.py check --deploy``.
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parents[2]  # the repository root
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)  # optional, never committed

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
PRODUCTION = DJANGO_ENV == "production"

DEBUG = env.bool("DEBUG", default=not PRODUCTION)
SECRET_KEY = env.str(
    "SECRET_KEY",
    default="" if PRODUCTION else "dev-only-insecure-key-not-for-production-use-0123456789abcdef",
)
if not SECRET_KEY:
    raise environ.ImproperlyConfigured("SECRET_KEY must be set when DJANGO_ENV=production")
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# The public address of this site: xAPI exports name their actors' account home page with it.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "csp",
    "lms.core",
    "lms.accounts",
    "lms.courses",
    "lms.tracking",
    "lms.labs",
    "lms.quizzes",
    "lms.discussions",
    "lms.progress",
    "lms.recommendations",
    "lms.simulation",
    "lms.privacy",
    "lms.inbox",
    "lms.lectures",
    "lms.search",
    "lms.site",
    "analytics",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "lms.core.errors.FriendlyErrorsMiddleware",  # error pages as in production, in development too
]

if PRODUCTION:  # collected static files served by the app itself (runserver does it in development)
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "lms.urls"
WSGI_APPLICATION = "lms.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "platform" / "lms" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "lms.site.context_processors.navigation",
                "lms.inbox.context_processors.inbox",
            ],
        },
    },
]

# --- Storage paths -------------------------------------------------------------------
DATA_DIR = Path(env.str("CAIRN_DATA_DIR", default=str(VAR_DIR)))
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(DATA_DIR / "static")))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(DATA_DIR / "media")))
CONTENT_ROOT = Path(env.str("CAIRN_CONTENT_ROOT", default=str(BASE_DIR / "course_content")))
# The grading sandbox: its own Python (readable by the sandbox user) and that user.
SANDBOX_PYTHON = env.str("CAIRN_SANDBOX_PYTHON", default="/opt/cairn-sandbox/bin/python")
SANDBOX_USER = env.str("CAIRN_SANDBOX_USER", default="nobody")
LAB_SUBMISSIONS_PER_MINUTE = env.int("CAIRN_LAB_SUBMISSIONS_PER_MINUTE", default=6)
MODEL_REGISTRY_DIR = Path(env.str("CAIRN_MODEL_DIR", default=str(DATA_DIR / "models")))
# How much evidence the promotion gate gathers (fields of recommender.compare.GateConfig,
# e.g. {"sim_learners": 100}); a version's own gate_config wins. Empty: the library's defaults.
RECOMMENDER_GATE = env.json("CAIRN_RECOMMENDER_GATE", default={})
# Share of next-step showings whose top step is drawn uniformly from the policy's valid
# steps, so that other policies can be evaluated from the logs (docs/recommender.md).
RECOMMENDATION_EXPLORATION = env.float("CAIRN_RECOMMENDATION_EXPLORATION", default=0.1)
# How the video events of POST /api/events become progress (lms.progress, docs/events.md):
# "statement" folds them with one SQL statement in the request's transaction (visible on
# the next page load, the measured faster design); "task" stores and acknowledges, then
# a Celery task folds them (visible within a worker's pickup, <= 2 s).
PROGRESS_FROM_EVENTS = env.str("CAIRN_PROGRESS_FROM_EVENTS", default="statement")
if PROGRESS_FROM_EVENTS not in ("statement", "task"):
    raise environ.ImproperlyConfigured("CAIRN_PROGRESS_FROM_EVENTS must be 'statement' or 'task'")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Database ------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'cairn.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)  # a fresh data dir
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    # SQLite: wait for a writer instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update({"timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: per-process memory by default; Redis (CACHE_URL=redis://...) in production.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # Redis down must not take the site down: the cache degrades to "always a miss" (with a
    # warning in the log), so sessions fall back to the database and rate limits fail open.
    CACHES["default"]["BACKEND"] = "lms.core.cache.DegradingRedisCache"
    CACHES["default"].setdefault("OPTIONS", {}).update({"socket_connect_timeout": 1, "socket_timeout": 1})
# Sessions are read on every request (the event API's hot path): cache in front of the DB.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
# Inbox messages and notifications are e-mailed (by the inbox.message_email task) to
# recipients with an address; CAIRN_INBOX_EMAIL=false keeps them in the site only.
INBOX_EMAIL = env.bool("CAIRN_INBOX_EMAIL", default=True)

# --- Celery --------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="")
if CELERY_BROKER_URL == "filesystem://":
    _queue_dir = DATA_DIR / "celery"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir / "queue"),
        "data_folder_out": str(_queue_dir / "queue"),
        "control_folder": str(_queue_dir / "control"),
        "processed_folder": str(_queue_dir / "processed"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = CELERY_RESULT_BACKEND or f"file://{_queue_dir / 'results'}"
elif not CELERY_RESULT_BACKEND:
    CELERY_RESULT_BACKEND = CELERY_BROKER_URL  # redis:// serves as its own result store
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "labs.grade_submission": {"queue": "grading"},
    "recommendations.retrain": {"queue": "training"},
    "recommendations.ope_estimate": {"queue": "training"},
    "lectures.make": {"queue": "media"},
    "lectures.make_bulk": {"queue": "media-bulk"},
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True


def _beat(task: str, *, every: float, expires: int) -> dict:
    """A beat entry: run `task` every `every` seconds; a message not taken within
    `expires` seconds is dropped (the next run does the work)."""
    return {"task": task, "schedule": every, "options": {"expires": expires}}


CELERY_BEAT_SCHEDULE = {
    "event-partitions-ahead": {"task": "tracking.partitions_ensure_ahead", "schedule": 24 * 3600},
    # Dashboard rollups (analytics): fold the last minute's events; a run that finds the
    # previous one still going returns at once, and a message older than a minute expires.
    "analytics-rollups-update": _beat("analytics.rollups_update", every=60.0, expires=55),
    # Learners at risk (analytics.risk): the model scores every active enrollment off the
    # request path; the page shows how old the figures are.
    "analytics-risk-refresh": _beat("analytics.risk_refresh", every=600.0, expires=590),
    # Jobs whose message was lost (the broker was down when they were requested) are rows
    # still queued: send them again (lms.core.dispatch).
    "labs-redispatch": _beat("labs.redispatch_queued", every=120.0, expires=110),
    "retrain-redispatch": _beat("recommendations.redispatch_queued", every=300.0, expires=290),
    # Learner data rights (lms.privacy): archives are deleted after seven days; requests
    # whose message was lost are sent again.
    "privacy-archives-expire": _beat("privacy.archives_expire", every=3600.0, expires=3500),
    "privacy-redispatch": _beat("privacy.redispatch_queued", every=300.0, expires=290),
    "exports-redispatch": _beat("analytics.exports_redispatch", every=300.0, expires=290),
    # Jobs that will never finish (a worker killed mid-run, a message lost for too long)
    # end failed with a reason the page shows (lms.core.jobs).
    "labs-sweep": _beat("labs.sweep_stale", every=120.0, expires=110),
    # Deadlines coming (lms.inbox): a notification two days before a week's soft deadline
    # with graded items still open, once per learner and week.
    "inbox-deadlines": _beat("inbox.deadlines_notify", every=6 * 3600.0, expires=3600),
    "exports-sweep": _beat("analytics.exports_sweep", every=600.0, expires=590),
    "privacy-sweep": _beat("privacy.sweep_stale", every=600.0, expires=590),
    "retrain-sweep": _beat("recommendations.sweep_stale", every=600.0, expires=590),
}

# --- Logging -------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # kombu warns "No hostname was supplied" for the filesystem transport on every connect.
    "loggers": {"kombu.connection": {"level": "ERROR"}},
}

# --- Security ------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz(/ready)?$"]  # probes talk plain HTTP inside the cluster
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# Content-Security-Policy (django-csp): scripts, styles, images and fetches from this
# site only, no inline script or style (templates carry none; chart data travels in
# <script type="application/json">, which is never executed), no framing, no plugins.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "media-src": ["'self'", "https:"],  # a video's media may be an https:// URL
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Rate limits ("<count>/<period>", period s, m, h or d with an optional multiplier such as
# 15m): counted in the cache (Redis in production), answered with 429 and Retry-After.
RATE_LIMITS = {
    "login-ip": env.str("CAIRN_RATE_LOGIN_IP", default="30/m"),
    "login-username": env.str("CAIRN_RATE_LOGIN_USERNAME", default="10/15m"),
    "signup-ip": env.str("CAIRN_RATE_SIGNUP_IP", default="10/h"),
    # Password reset (lms.accounts.views.password_reset): per client and per address asked for.
    "password-reset-ip": env.str("CAIRN_RATE_PASSWORD_RESET_IP", default="20/h"),
    "password-reset-email": env.str("CAIRN_RATE_PASSWORD_RESET_EMAIL", default="5/h"),
    "events-user": env.str("CAIRN_RATE_EVENTS_USER", default="120/m"),
    "lab-submissions-user": env.str("CAIRN_RATE_LAB_SUBMISSIONS_USER", default="20/m"),
    "lab-submissions-ip": env.str("CAIRN_RATE_LAB_SUBMISSIONS_IP", default="120/m"),
    # Reading an uploaded notebook costs up to seconds of web CPU (2 MiB at most).
    "lab-notebook-user": env.str("CAIRN_RATE_LAB_NOTEBOOK_USER", default="6/m"),
    "lab-notebook-ip": env.str("CAIRN_RATE_LAB_NOTEBOOK_IP", default="30/m"),
}
# Behind a reverse proxy, the header whose right-most address is the client's (for
# example X-Forwarded-For); empty: REMOTE_ADDR.
RATE_LIMIT_IP_HEADER = env.str("CAIRN_CLIENT_IP_HEADER", default="")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Cairn API",
    "DESCRIPTION": "Clickstream ingestion, lab submissions and next-step recommendations. "
    "Authentication: the site's session cookie (log in at /accounts/login/) and, on "
    "POST, the CSRF token in the X-CSRFToken header (except /api/events, which checks Origin).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "lms.tracking.schema.events_path",
    ],
    "COMPONENT_SPLIT_REQUEST": True,
}
