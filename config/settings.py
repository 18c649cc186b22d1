"""CivicLoop settings: one module, driven by environment variables.

Defaults give a zero-setup development instance (SQLite file, eager Celery, DEBUG on).
Production sets DEBUG=0, SECRET_KEY, DATABASE_URL and CELERY_BROKER_URL.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off (生产环境必须设置 SECRET_KEY 环境变量)."
        )
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "axes",
    "civicloop.core",
    "civicloop.accounts",
    "civicloop.orgs",
    "civicloop.standards",
    "civicloop.problems",
    "civicloop.inspections",
    "civicloop.scoring",
    "civicloop.bulletins",
    "civicloop.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, so lockout applies after authentication middleware has run.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "civicloop.core.context_processors.platform",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
# SQLite is the embedded default: WAL journal and IMMEDIATE transactions so that writers
# queue for the lock at BEGIN instead of failing half-way with "database is locked".
DEFAULT_SQLITE_PATH = BASE_DIR / "var" / "civicloop.sqlite3"
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{DEFAULT_SQLITE_PATH}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool(
    "CIVICLOOP_PG_PREPARED", True
):
    # Lets psycopg prepare the statements civicloop.core.prepared asks it to (the few run
    # on most requests); Django's own cursors bind client-side and never prepare.
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 1_000_000
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        # mmap_size: pages are read through a memory map of the file instead of a read()
        # per page into a per-connection cache that starts empty on every request
        # (CONN_MAX_AGE=0): 1M problems, a 50-row ledger page's rows 0.47 → 0.36 ms.
        "init_command": (
            "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA foreign_keys=ON;"
            "PRAGMA busy_timeout=20000;PRAGMA mmap_size=268435456;"
        ),
    }
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("SQLITE_TEST_NAME", "")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Failed-login lockout (django-axes): lock the username+IP pair after N failures.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_HOURS", "0.5"))  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

# --- Internationalisation -------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns when it is missing
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG
# Media prefixes anyone logged in or not may fetch by URL; everything else is private.
PUBLIC_MEDIA_PREFIXES = ["check_items/"]
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

# --- REST API -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": [
        "civicloop.api.renderers.FastJSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "civicloop.api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "civicloop.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "civicloop.api.errors.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CivicLoop API (创城闭环督办平台)",
    "DESCRIPTION": "Campaign supervision platform: registries, problem ledger, inspections.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets shared by several fields (or several fields named alike) get one name.
    "ENUM_NAME_OVERRIDES": {
        "RoleEnum": "civicloop.accounts.models.Role",
        "UnitKindEnum": "civicloop.orgs.models.UnitKind",
        "AreaLevelEnum": "civicloop.orgs.models.AreaLevel",
        "ResponsibilityKindEnum": "civicloop.orgs.models.ResponsibilityKind",
        "CategoryKindEnum": "civicloop.standards.models.CategoryKind",
        "DeadlineUnitEnum": "civicloop.standards.models.DeadlineUnit",
        "CoordSystemEnum": "civicloop.core.geo.COORD_SYSTEMS",
        "ProblemStatusEnum": "civicloop.problems.models.Status",
        "ProblemActionEnum": "civicloop.problems.models.Action",
        "EvidenceKindEnum": "civicloop.problems.models.EvidenceKind",
        "RequestKindEnum": "civicloop.problems.models.RequestKind",
        "RequestStatusEnum": "civicloop.problems.models.RequestStatus",
        "IndexSystemKindEnum": "civicloop.standards.models.IndexSystemKind",
        "IndexSystemStatusEnum": "civicloop.standards.models.IndexSystemStatus",
        "IndicatorLevelEnum": "civicloop.standards.models.IndicatorLevel",
        "RoundKindEnum": "civicloop.inspections.models.RoundKind",
        "RoundStatusEnum": "civicloop.inspections.models.RoundStatus",
        "InspectionStatusEnum": "civicloop.inspections.models.InspectionStatus",
        "ItemOutcomeEnum": "civicloop.inspections.models.ItemOutcome",
    },
}

# --- Background work ------------------------------------------------------------------
# Without a broker, tasks run eagerly in-process; periodic jobs also exist as commands.
_broker = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not _broker
# The in-memory transport is never used for sending while eager; it only keeps kombu from
# building (and warning about) a connection to a default localhost broker.
CELERY_BROKER_URL = _broker or "memory://"
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", "") or None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1

# --- Platform -------------------------------------------------------------------------
CIVICLOOP = {
    "CITY_NAME": os.environ.get("CIVICLOOP_CITY_NAME", "示范市"),
    "PLATFORM_NAME": "创城闭环督办平台",
    # Working hours: comma-separated HH:MM-HH:MM spans.
    "WORKING_HOURS": os.environ.get("CIVICLOOP_WORKING_HOURS", "08:30-12:00,14:00-17:30"),
    # Map tiles: empty by default because government intranets have no internet access.
    "MAP_TILE_URL": os.environ.get("CIVICLOOP_MAP_TILE_URL", ""),
    "MAP_TILE_ATTRIBUTION": os.environ.get("CIVICLOOP_MAP_TILE_ATTRIBUTION", ""),
    # How long a ledger list's capped count may be reused while no ledger write has
    # committed (civicloop.problems.listing); 0 counts on every request.
    "LEDGER_COUNT_CACHE_SECONDS": float(
        os.environ.get("CIVICLOOP_LEDGER_COUNT_CACHE_SECONDS", "60")
    ),
}

# --- Cache ----------------------------------------------------------------------------
# Local memory by default (one process: runserver, tests). With several app processes set
# CACHE_URL=redis://host:6379/1 so that cached reads are invalidated in all of them.
_cache_url = os.environ.get("CACHE_URL", "")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _cache_url}
        if _cache_url
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)

# Periodic jobs (celery beat). Each also exists as a management command for cron.
CELERY_BEAT_SCHEDULE = {
    "problems-sweep-overdue": {
        "task": "problems.sweep_overdue",
        "schedule": 600.0,  # seconds
    },
}
