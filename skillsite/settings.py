"""skillsite settings, read from the environment through django-environ.

Every variable has a development default except where production must choose
(`SECRET_KEY` when `DEBUG` is off). A malformed value fails at start-up with
the variable's name (django-environ raises ImproperlyConfigured). A missing
SECRET_KEY stops the web server (`require_secret_key`, called by wsgi.py and
asgi.py) and whatever signs or reads a session, but not commands that need no
key (`makemigrations --check`, `migrate`): failing here, at import, made Django
hide the reason behind "Models aren't loaded yet".
"""

import ipaddress
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
_DEV_SECRET = "dev-only-insecure-key-do-not-use-in-production-0123456789abcdef"
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET if DEBUG else "")
SECRET_KEY_MISSING = "Set the SECRET_KEY environment variable (or DEBUG=true for development)."


def require_secret_key(secret_key: str) -> None:
    if not secret_key:
        raise ImproperlyConfigured(SECRET_KEY_MISSING)


ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Feature flag from seed 000: with skills off, the skills API answers 503 and
# the admin shows a banner; roadmaps keep working.
SKILLS_ENABLED = env.bool("SKILLS_ENABLED", default=True)
# The deconstruction engine (roadmaps/deconstruction/): the offline generator by default;
# roadmaps.deconstruction.LLMGenerator with an OpenAI-compatible chat-completions endpoint.
DECONSTRUCTION_GENERATOR = env.str("DECONSTRUCTION_GENERATOR", default="roadmaps.deconstruction.OfflineGenerator")
DECONSTRUCTION_LLM_URL = env.str("DECONSTRUCTION_LLM_URL", default="")
DECONSTRUCTION_LLM_MODEL = env.str("DECONSTRUCTION_LLM_MODEL", default="")
DECONSTRUCTION_LLM_API_KEY = env.str("DECONSTRUCTION_LLM_API_KEY", default="")
DECONSTRUCTION_LLM_USD_PER_1K_TOKENS = env.str("DECONSTRUCTION_LLM_USD_PER_1K_TOKENS", default="0")
DECONSTRUCTION_LLM_TIMEOUT_SECONDS = env.float("DECONSTRUCTION_LLM_TIMEOUT_SECONDS", default=30)

# Emergence mining: a candidate needs at least EMERGENCE_MIN_SKILLS co-occurring successful skills
# in at least EMERGENCE_MIN_SUPPORT sessions of one context; it enters review at EMERGENCE_REVIEW_SUPPORT.
EMERGENCE_MIN_SKILLS = env.int("EMERGENCE_MIN_SKILLS", default=2)
EMERGENCE_MIN_SUPPORT = env.int("EMERGENCE_MIN_SUPPORT", default=3)
EMERGENCE_REVIEW_SUPPORT = env.int("EMERGENCE_REVIEW_SUPPORT", default=10)
# Incremental mining re-reads sessions from this long before the last run's watermark, because an
# ingest transaction stamps received_at before it commits (a slow commit would otherwise be missed).
EMERGENCE_WATERMARK_OVERLAP_SECONDS = env.int("EMERGENCE_WATERMARK_OVERLAP_SECONDS", default=300)

# Largest batch POST /api/events/ takes; larger ones get 413.
EVENTS_MAX_BATCH = env.int("EVENTS_MAX_BATCH", default=1000)
# Reported skill names that count for a registered skill, e.g. a plugin's skill:
# SKILL_NAME_MAP=document-skills:pdf=pdf,example-skills:xlsx=xlsx (staff can also map them in the admin).
SKILL_NAME_MAP = env.dict("SKILL_NAME_MAP", default={})
# A skill use whose signals (OTLP, hook, transcript) stop coming counts with what it has after this.
SKILL_USE_SETTLE_SECONDS = env.int("SKILL_USE_SETTLE_SECONDS", default=120)
# An event's state_snapshot and artifacts may each hold at most this many bytes serialized (else
# 413): the log is append-only, so whatever it takes in stays for good.
EVENTS_MAX_JSON_FIELD_BYTES = env.int("EVENTS_MAX_JSON_FIELD_BYTES", default=64 * 1024)
# Events older than this (by occurred_at) are refused: they would land in archived months.
EVENTS_MAX_AGE_DAYS = env.int("EVENTS_MAX_AGE_DAYS", default=3 * 365)
# A web process folds stored events into the roll-ups after recording some, at most once in this
# many seconds (0: after every record). Reads say how fresh the roll-ups are (metrics_as_of).
INGEST_FOLD_INTERVAL_SECONDS = env.float("INGEST_FOLD_INTERVAL_SECONDS", default=1.0)
# sync_skills keeps a skill folder's other files (scripts/, references/, assets/) per version up to
# this many bytes in all (SKILL.md included); a larger folder is refused whole (never published
# partly): sync names its size and this setting, and the other skills still sync.
SKILL_BUNDLE_MAX_BYTES = env.int("SKILL_BUNDLE_MAX_BYTES", default=5 * 1024 * 1024)
# Skill health (skills.selectors.skill_health.skills_health): dormant after this many days without use though
# available; failing when the success rate of the last FAILING_USES uses (at least MIN_USES) is
# under FAILING_RATE percent; misfiring when, in at least MISFIRE_MIN_SESSIONS sessions of the last
# WINDOW_DAYS, more than MISFIRE_SHARE of them never saw the skill succeed.
SKILL_HEALTH_DORMANT_DAYS = env.int("SKILL_HEALTH_DORMANT_DAYS", default=30)
SKILL_HEALTH_FAILING_USES = env.int("SKILL_HEALTH_FAILING_USES", default=20)
SKILL_HEALTH_MIN_USES = env.int("SKILL_HEALTH_MIN_USES", default=5)
# Latency percentiles over fewer timed uses than this are marked as rough (API, admin).
SKILL_PERCENTILE_MIN_SAMPLES = env.int("SKILL_PERCENTILE_MIN_SAMPLES", default=20)
# Free text of events (workflow paths, error types, follow-up actions) reaches a non-staff read only
# once this many distinct users sent it; each roll-up row keeps the METRICS_TOP_K most frequent
# values of each free-text counter (exact up to K distinct values; skills/text_counter.py). After a
# change, `manage.py rebuild_metrics` recounts the stored rows with it.
METRICS_MIN_DISTINCT_USERS = env.int("METRICS_MIN_DISTINCT_USERS", default=3)
METRICS_TOP_K = env.int("METRICS_TOP_K", default=50)
for _name, _value in (("METRICS_MIN_DISTINCT_USERS", METRICS_MIN_DISTINCT_USERS), ("METRICS_TOP_K", METRICS_TOP_K)):
    if _value < 1:
        raise ImproperlyConfigured(f"{_name}: at least 1, not {_value}")
SKILL_HEALTH_FAILING_RATE = env.float("SKILL_HEALTH_FAILING_RATE", default=50.0)
SKILL_HEALTH_WINDOW_DAYS = env.int("SKILL_HEALTH_WINDOW_DAYS", default=30)
SKILL_HEALTH_MISFIRE_MIN_SESSIONS = env.int("SKILL_HEALTH_MISFIRE_MIN_SESSIONS", default=5)
SKILL_HEALTH_MISFIRE_SHARE = env.float("SKILL_HEALTH_MISFIRE_SHARE", default=0.5)
# Jobs (skills/jobs) run on Celery workers with this broker (e.g. redis://127.0.0.1:6379/0), their
# schedules kept by django-celery-beat in the database; empty: no broker, jobs run where they are asked for.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "UTC"
CELERY_TASK_IGNORE_RESULT = True  # runs are recorded in skills.JobRun, no result backend
CELERY_WORKER_PREFETCH_MULTIPLIER = 1  # a long job does not hold short ones queued behind it
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# An admin button answers quickly when the broker is down: its run is recorded as failed.
# A broker that accepts and never answers (hung) fails the publish too: each socket read waits at most
# socket_timeout, so the run is failed with the broker's error in a few seconds (no 500, nothing left queued).
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 2}
# Partitions of the usage log made ahead (PostgreSQL), and months of events kept in the live log:
# whole older partitions go to the skills_archive schema (0: keep everything). Events older than
# EVENTS_MAX_AGE_DAYS are refused anyway.
PARTITIONS_AHEAD_MONTHS = env.int("PARTITIONS_AHEAD_MONTHS", default=3)
EVENT_RETENTION_MONTHS = env.int("EVENT_RETENTION_MONTHS", default=36)
# Skills whose roll-ups the nightly check compares with a rebuild.
ROLLUP_CHECK_SAMPLE_SKILLS = env.int("ROLLUP_CHECK_SAMPLE_SKILLS", default=20)
# Version regressions (skills/services/regressions.py): uses each version needs, the significance
# level, and the smallest effects worth an alert (success-rate drop as a fraction, p95 and cost rises
# as fractions of the baseline).
REGRESSION_MIN_USES = env.int("REGRESSION_MIN_USES", default=100)
REGRESSION_ALPHA = env.float("REGRESSION_ALPHA", default=0.01)
REGRESSION_MIN_SUCCESS_DROP = env.float("REGRESSION_MIN_SUCCESS_DROP", default=0.05)
REGRESSION_MIN_LATENCY_RISE = env.float("REGRESSION_MIN_LATENCY_RISE", default=0.2)
REGRESSION_MIN_COST_RISE = env.float("REGRESSION_MIN_COST_RISE", default=0.2)
# The site's address, for links in emails; where emails go (django-environ's EMAIL_URL, e.g.
# smtp+tls://user:password@smtp.example.org:587; the console by default).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="skillsite@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Prometheus metrics (skillsite/metrics.py, docs/metrics.md) are for operators: a bearer token and/or
# client addresses (comma-separated addresses or networks, e.g. 10.0.0.0/8). Neither: nobody reads them.
METRICS_BEARER_TOKEN = env.str("METRICS_BEARER_TOKEN", default="")
METRICS_ALLOWED_ADDRESSES = env.list("METRICS_ALLOWED_ADDRESSES", default=[])
for _network in METRICS_ALLOWED_ADDRESSES:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError as _error:
        raise ImproperlyConfigured(f"METRICS_ALLOWED_ADDRESSES: {_error}") from None
# Processes with no web server (Celery workers, the fold worker) serve their metrics here (0: they do not).
METRICS_EXPORTER_PORT = env.int("METRICS_EXPORTER_PORT", default=0)
METRICS_EXPORTER_ADDRESS = env.str("METRICS_EXPORTER_ADDRESS", default="0.0.0.0")
# Every JSON body is refused (400) when nested deeper than this.
JSON_MAX_DEPTH = env.int("JSON_MAX_DEPTH", default=64)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "axes",
    "rest_framework",
    # Its model is the base of accounts.APIKey (its own table stays empty; its admin is replaced).
    "rest_framework_api_key",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "accounts",
    "skills",
    "roadmaps",
]

MIDDLEWARE = [
    # First: it times and counts every answer, the other middleware's included.
    "skillsite.middleware.RequestMetrics",
    # Before anything logs: every log line of the request carries its id.
    "skillsite.request_id.RequestId",
    "django.middleware.security.SecurityMiddleware",
    # Before anything reads a body: every JSON body sent to the API is size- and depth-checked.
    "skillsite.parsers.JSONBodyGuard",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out login into a 429 page.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Proxies in front of the site: the client address is read from X-Forwarded-For accordingly
# (accounts/addresses.py), by the login lockout, the sign-up throttle and DRF's throttles alike.
PROXY_COUNT = env.int("PROXY_COUNT", default=0)
# Login lockout (admin and learner pages): after AXES_FAILURE_LIMIT failures for one username from
# one address, or LOGIN_USERNAME_FAILURE_LIMIT for one username from all addresses together, further
# attempts are refused for AXES_COOLOFF_MINUTES (accounts/login.py).
LOGIN_FAILURES_PER_ADDRESS = env.int("AXES_FAILURE_LIMIT", default=5)
LOGIN_FAILURES_PER_USERNAME = env.int("LOGIN_USERNAME_FAILURE_LIMIT", default=20)
AXES_FAILURE_LIMIT = "accounts.login.failure_limit"
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "accounts.addresses.client_address"
# Sign-up: closable, and throttled per client address (accounts/signup.py).
SIGNUP_OPEN = env.bool("SIGNUP_OPEN", default=True)
SIGNUP_THROTTLE_RATE = env.str("SIGNUP_THROTTLE_RATE", default="10/hour")

# Throttle counters live in the cache: use a shared one (CACHE_URL=redis://…) with several processes.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

ROOT_URLCONF = "skillsite.urls"
WSGI_APPLICATION = "skillsite.wsgi.application"
ASGI_APPLICATION = "skillsite.asgi.application"

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
                "skills.context_processors.skills_flag",
                "accounts.context_processors.signup_open",
                "skills.context_processors.experiment_breaches",
            ],
        },
    },
]

# SQLite when DATABASE_URL is unset, so a fresh machine runs with no server.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Persistent connections rather than psycopg's pool: they work the same
    # under gunicorn sync workers and in tests, and health checks drop a
    # connection the server has closed (e.g. after a restart).
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# A streaming replica of the primary for analytics reads (skillsite/routers.py): optional.
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    DATABASES["replica"]["CONN_MAX_AGE"] = DATABASES["default"].get("CONN_MAX_AGE", 0)
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["replica"].setdefault("OPTIONS", {})["connect_timeout"] = env.int("REPLICA_CONNECT_TIMEOUT", default=2)
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["skillsite.routers.ReplicaRouter"]
# After the replica could not be reached, reads stay on the primary this long before trying it again.
REPLICA_RETRY_SECONDS = env.int("REPLICA_RETRY_SECONDS", default=30)
# The health page and db_health warn past these.
REPLICA_LAG_WARN_SECONDS = env.int("REPLICA_LAG_WARN_SECONDS", default=30)
LONG_TRANSACTION_SECONDS = env.int("LONG_TRANSACTION_SECONDS", default=300)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").is_dir() else []
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

# Security: production values unless DEBUG is on (check --deploy is clean).
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# A load balancer and Prometheus call these over plain HTTP from inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=10 * 1024 * 1024)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # API keys first (`Token <key>` or `Bearer <key>`): an anonymous request then gets 401
        # with a WWW-Authenticate header (session-first would make it 403).
        "accounts.authentication.APIKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # A view that sets its own permission_classes keeps KeyScopeAllows in them (tests/accounts).
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "accounts.permissions.KeyScopeAllows",
    ],
    # Query parameters are strict: junk is a 400 naming the parameter (skillsite/filters.py).
    "DEFAULT_PAGINATION_CLASS": "skillsite.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["skillsite.filters.StrictFilterBackend", "skillsite.filters.StrictOrderingFilter"],
    # Every operation's error statuses, documented with the one error shape (skillsite/schema.py).
    "DEFAULT_SCHEMA_CLASS": "skillsite.schema.AutoSchema",
    "EXCEPTION_HANDLER": "skillsite.api.exception_handler",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "skillsite.negotiation.StrictFormatNegotiation",
    # One JSON parser for the whole API (bodies checked by skillsite.parsers.JSONBodyGuard first).
    # JSON only: a form encoding cannot say null, a number or a nested object, so the schema's
    # types would not hold for it (another Content-Type → 415).
    "DEFAULT_PARSER_CLASSES": ["skillsite.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # Ingestion endpoints set throttle_scope = "ingest"; per user (or address when anonymous).
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.ScopedRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"ingest": env.str("INGEST_THROTTLE_RATE", default="12000/minute")},
    # An anonymous caller is counted by the same client address as everywhere else (PROXY_COUNT).
    "NUM_PROXIES": PROXY_COUNT,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "skillsite API",
    "DESCRIPTION": "Agent-skill registry and telemetry, and learning roadmaps.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from drf-spectacular-sidecar's static files: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name each for choice sets several serializers share (skill_type and a catalog entry's kind).
    "ENUM_NAME_OVERRIDES": {
        "SkillTypeEnum": "roadmaps.choices.SkillType",
        "ActivityTypeEnum": "roadmaps.choices.ActivityType",
        "CandidateStatusEnum": "skills.models.CandidateStatus",
        "MilestoneStatusEnum": "roadmaps.models.MilestoneStatus",
        "SkillHealthStatusEnum": "skills.selectors.skill_health.Health",
    },
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "skillsite.schema.postprocess"],
}

# Console logs: plain text, or one JSON object a line (time, level, logger, message, request_id and
# the exception when there is one) for a log collector. Every record carries the request id.
LOG_FORMAT = env.str("LOG_FORMAT", default="text")
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT: 'text' or 'json', not {LOG_FORMAT!r}")
JSON_LOG_FORMATTER = {
    "()": "pythonjsonlogger.json.JsonFormatter",
    "fmt": "%(levelname)s %(name)s %(message)s %(request_id)s",
    "rename_fields": {"levelname": "level", "name": "logger"},
    "timestamp": "time",  # ISO 8601, UTC
}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "skillsite.request_id.RequestIdFilter"}},
    "formatters": {"json": JSON_LOG_FORMATTER},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            **({"formatter": "json"} if LOG_FORMAT == "json" else {}),
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
    # bandit (the scan before deploy) loads its report formatters through stevedore, which logs an
    # error for each optional one whose package is not installed (SARIF): we use none of them.
    "loggers": {"stevedore.extension": {"level": "CRITICAL"}},
}
# Celery workers log through the same handler when it is JSON (else Celery's own text format).
CELERY_WORKER_HIJACK_ROOT_LOGGER = LOG_FORMAT != "json"
