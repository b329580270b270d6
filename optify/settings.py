"""
Settings for Optify, read from the environment (12-factor).

With nothing set the app runs on an embedded default: SQLite, Celery tasks run
in-process, emails written as files under var/mail/. Setting DATABASE_URL, REDIS_URL,
SECRET_KEY, ALLOWED_HOSTS, SITE_URL and a mail backend switches it to production.
"""

import datetime as dt
import json
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("OPTIFY_VAR_DIR", BASE_DIR / "var"))


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", default="SECRET_KEY" not in os.environ)
if not DEBUG and not os.environ.get("SECRET_KEY"):
    # The embedded default key is published with the code: with it, anyone could sign sessions,
    # invitation and unsubscribe links. Only the DEBUG default may use it.
    raise ImproperlyConfigured("Set SECRET_KEY: it is required when DEBUG is off.")
SECRET_KEY = os.environ.get("SECRET_KEY") or "insecure-embedded-default-key-" + "x" * 40
# Rotation (docs/operations.md): the previous keys, comma-separated, still verify what they
# signed (sessions, password reset and unsubscribe links) until they are dropped from here.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", SITE_URL)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",  # its widget templates, for TemplatesSetting below
    "django_filters",
    "django_tables2",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and Redoc as static files: no CDN
    "anymail",
    "axes",
    "accounts",
    "templates_app",
    "engagements",
    "tracking",
    "notifications",
    "reports",
    "optify",  # management commands (check_health)
]

MIDDLEWARE = [
    # First, so that it times everything below it.
    "optify.metrics.RequestLatencyMiddleware",
    "optify.logs.RunIdMiddleware",
    # Before the session's: the request's reads are routed before any of them happens.
    "optify.replicas.ReplicaReadsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The signed-in user's language (Settings; default: their company's), Accept-Language
    # for everyone else. After authentication, which it reads.
    "optify.middleware.UserLanguageMiddleware",
    "optify.middleware.PrivatePagesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Last, as django-axes asks: it turns a lockout into its response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "optify.urls"
WSGI_APPLICATION = "optify.wsgi.application"
ASGI_APPLICATION = "optify.asgi.application"

# Widgets render with the project's templates too (templates/widgets/: the labelled date range).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "django.template.context_processors.i18n",
                "optify.context_processors.site",
            ],
        },
    },
]

# Database: SQLite by default, PostgreSQL (psycopg 3) from DATABASE_URL.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'optify.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if os.environ.get("TEST_DATABASE_NAME"):
    # Lets several test runs share one PostgreSQL server without sharing a test database.
    DATABASES["default"]["TEST"] = {"NAME": os.environ["TEST_DATABASE_NAME"]}
# Read replicas (optify/replicas.py, docs/scaling.md): comma-separated URLs of PostgreSQL
# streaming replicas of the primary above. The views named here read from one of them when
# it is recent enough; everything else uses the primary.
REPLICA_DATABASES = []
for _index, _url in enumerate(env_list("DATABASE_REPLICA_URLS")):
    _alias = f"replica{_index}"
    DATABASES[_alias] = dj_database_url.parse(
        _url, conn_max_age=DATABASES["default"]["CONN_MAX_AGE"], conn_health_checks=True
    )
    # A replica that does not answer within 2 s is skipped for this request.
    DATABASES[_alias].setdefault("OPTIONS", {})["connect_timeout"] = 2
    # Under test, the replica streams the primary's test database: same name, no creation.
    DATABASES[_alias]["TEST"] = {"MIRROR": "default"}
    REPLICA_DATABASES.append(_alias)
DATABASE_ROUTERS = ["optify.replicas.ReplicaRouter"] if REPLICA_DATABASES else []
REPLICA_READABLE_VIEWS = frozenset({"reports:report", "reports:export"})
REPLICA_MAX_LAG_SECONDS = float(os.environ.get("REPLICA_MAX_LAG_SECONDS", "5"))
# After a browser writes anything, its reads stay on the primary this long (read-your-writes).
READ_YOUR_WRITES_SECONDS = int(os.environ.get("READ_YOUR_WRITES_SECONDS", "30"))
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    VAR_DIR.mkdir(parents=True, exist_ok=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USES_POSTGRESQL = DATABASES["default"]["ENGINE"].endswith("postgresql")

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24 * 3
INVITATION_TIMEOUT = 60 * 60 * 24 * 3  # the invitation email says "3 days"

# Sign-in throttling (accounts/throttle.py, through django-axes): the pair (email, client
# address) is refused after 5 wrong passwords, for 5 minutes, doubling with each lockout up
# to a day; a pair quiet for a day is forgotten. Never the account alone nor the address alone.
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_HANDLER = "accounts.throttle.SignInThrottleHandler"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = 5
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "accounts.throttle.normalized_username"
AXES_CLIENT_IP_CALLABLE = "accounts.throttle.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.throttle.lockout_response"
# A refused attempt checks no password: it neither counts nor prolongs the cooling-off.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_ENABLE_ADMIN = False  # axes' own tables stay empty; SignInThrottle is in the admin
SIGN_IN_COOLOFF = dt.timedelta(minutes=5)
SIGN_IN_COOLOFF_MAX = dt.timedelta(days=1)
SIGN_IN_MEMORY = dt.timedelta(days=1)
AXES_COOLOFF_TIME = SIGN_IN_COOLOFF
# Reverse proxies in front of Optify that each append the address they received a request
# from to X-Forwarded-For: the client is the address the outermost of them saw. 0: none, the
# client is REMOTE_ADDR (X-Forwarded-For, which anyone can send, is ignored).
TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))

SESSION_COOKIE_AGE = 60 * 60 * 12
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True

# Languages (docs/translations.md): every page and email is translatable; English and Spanish
# are complete. Each user picks theirs in Settings (default: their company's); emails go out
# in their recipient's. The names are shown as each language names itself.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Security headers. No inline script anywhere: every script is a static file.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]

# Celery: Redis in production; without REDIS_URL tasks run in-process.
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
# Tasks acknowledge after they finish, so a worker killed mid-task hands it to the next: a
# pool child killed is re-queued at once (REJECT_ON_WORKER_LOST); a whole worker killed leaves
# the message unacknowledged in Redis, restored after the visibility timeout. The work does not
# wait for that: beat's next tick schedules an unfinished evaluation again and the minute
# sender picks up pending nudges; the late redelivery is then a no-op (EvaluationRun, claims).
# The timeout must exceed the longest retry countdown (a minute, tracking/tasks.py), or
# delayed retries would be delivered twice.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 60 * 60}
CELERY_TIMEZONE = "UTC"

# The local hour (company timezone) after which the daily progress evaluation runs.
PROGRESS_EVALUATION_HOUR = int(os.environ.get("PROGRESS_EVALUATION_HOUR", "6"))

# Outbound HTTP (webhooks, calendar feeds; optify/outbound.py) never reaches private, loopback or
# link-local addresses; loopback only where this says so (the tests' local servers).
OUTBOUND_ALLOW_LOOPBACK = env_bool("OUTBOUND_ALLOW_LOOPBACK", False)

# Metrics (optify/metrics.py): /metrics answers a scraper sending "Authorization: Bearer
# <METRICS_TOKEN>" (comma-separated: several, while rotating), and does not exist without one.
# PROMETHEUS_MULTIPROC_DIR (read by prometheus-client itself at import, so set it in the
# environment) sums the processes'.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
PROMETHEUS_MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
# A Celery worker's own /metrics port, for a worker that shares no directory with the web.
WORKER_METRICS_PORT = int(os.environ.get("WORKER_METRICS_PORT", "0"))

# Email, through Django 6.1's MAILERS.
#   SMTP_URL=smtp://host:port        -> SMTP (docker-compose's catcher)
#   ANYMAIL_BACKEND=anymail.backends.postmark.EmailBackend
#   ANYMAIL_OPTIONS='{"api_key": "..."}'   -> a provider through django-anymail
#   nothing                          -> files under var/mail/ (one .log per connection)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Optify <nudges@optify.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if os.environ.get("ANYMAIL_BACKEND"):
    MAILERS = {
        "default": {
            "BACKEND": os.environ["ANYMAIL_BACKEND"],
            "OPTIONS": json.loads(os.environ.get("ANYMAIL_OPTIONS", "{}")),
        }
    }
elif os.environ.get("SMTP_URL"):
    from urllib.parse import urlsplit

    _smtp = urlsplit(os.environ["SMTP_URL"])
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": _smtp.hostname,
                "port": _smtp.port or 25,
                "username": _smtp.username or "",
                "password": _smtp.password or "",
                "use_tls": _smtp.scheme == "smtp+tls",
            },
        }
    }
else:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(VAR_DIR / "mail")},
        }
    }

# Logs (optify/logs.py): one line per event, JSON in production, key=value for people under
# DEBUG (LOG_FORMAT=json|keyvalue), each carrying the run_id of the work that caused it.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "keyvalue" if DEBUG else "json")
LOGGING_CONFIG = "optify.logs.configure"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "optify.logs.JsonFormatter"},
        "keyvalue": {"()": "optify.logs.KeyValueFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}

DJANGO_TABLES2_TEMPLATE = "django_tables2/table.html"

# Caches. "api" counts the REST API's rate limits (optify/api/throttling.py): on Redis when
# REDIS_URL is set, so that every web process counts the same requests; without it the
# default cache (this process's memory) counts them.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if REDIS_URL:
    CACHES["api"] = {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                     "LOCATION": REDIS_URL, "KEY_PREFIX": "optify-api"}

# The REST API (optify/api/, each app's api/): bearer tokens or the session, JSON first (the
# browsable API for a browser), cursor pages, errors as JSON, a rate limit per token.
API_THROTTLE_RATE = os.environ.get("API_THROTTLE_RATE", "1200/minute")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "optify.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["optify.api.permissions.TokenScopePermission"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "optify.api.pagination.IdCursorPagination",
    "DEFAULT_THROTTLE_CLASSES": ["optify.api.throttling.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api": API_THROTTLE_RATE},
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "optify.api.exceptions.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Optify API",
    "DESCRIPTION": "Engagements, their progress, sessions and discovery calls, templates and "
                   "people, as you see them in Optify. See docs/api.md.",
    "VERSION": "1",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Served from static/ (drf-spectacular-sidecar): no page of the docs reaches another host.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No validator badge: it would fetch an image from swagger.io (the CSP refuses it anyway).
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "ENUM_NAME_OVERRIDES": {
        "EventStatusEnum": "engagements.models.EventStatus",
        "ProgressEnum": "engagements.models.Progress",
        "ShownProgressEnum": "engagements.api.serializers.SHOWN_PROGRESS_CHOICES",
        "RoleEnum": "accounts.people.Role",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "optify.api.schema.document_errors",
    ],
}
