"""StudyIn settings. Every value comes from the environment, with a working default.

With no DATABASE_URL / REDIS_URL, StudyIn starts its own PostgreSQL and Redis under var/
(see studyin/embedded.py): that is development mode, and DEBUG defaults to on there.
"""

import re
from email.utils import getaddresses
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from studyin import embedded

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")  # optional; a missing file is fine

EMBEDDED_DB = not env.str("DATABASE_URL", default="")
EMBEDDED_REDIS = not env.str("REDIS_URL", default="")

DEBUG = env.bool("DEBUG", default=EMBEDDED_DB)
SECRET_KEY = env.str("SECRET_KEY", default="")
# Keys the audit log's names of people (accounts/audit.py); SECRET_KEY unless set. Keep it when
# rotating SECRET_KEY, or old rows can no longer be found by person.
AUDIT_KEY = env.str("AUDIT_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-only-for-embedded-mode"
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Base of the links in e-mails; empty: the address the student opened the page at.
SITE_URL = env.str("SITE_URL", default="")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_htmx",
    "csp",
    "studyin",
    "accounts",
    "materials",
    "questions",
    "practice",
    "coach",
    "progress",
    "gamification",
    "analytics",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # After authentication: opens the request's transaction and sets the row-level security context.
    "studyin.rls.RowLevelSecurityMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "studyin.urls"
WSGI_APPLICATION = "studyin.wsgi.application"

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
                "progress.context_processors.reviews",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# Pool size per process, as seed 001 sizes it: (max_connections - reserved) / app processes.
DB_POOL_MAX = env.int("DB_POOL_MAX", default=10)
DATABASES = {"default": env.db_url_config(env.str("DATABASE_URL", default="") or embedded.postgres_url())}
DATABASES["default"]["ENGINE"] = "studyin.postgresql"  # Django's, with the parameter limit
DATABASES["default"].setdefault("OPTIONS", {})
# A Unix socket given as ?host=/path (libpq's form, and the embedded server's) is Django's HOST.
DATABASES["default"]["HOST"] = DATABASES["default"]["OPTIONS"].pop("host", DATABASES["default"]["HOST"])
DB_POOL = env.bool("DB_POOL", default=True)
# With the database down, a request gives up after this many seconds and answers "briefly
# unavailable" (studyin/outage.py) rather than hanging; connecting is bounded the same way.
DB_CONNECT_TIMEOUT = env.int("DB_CONNECT_TIMEOUT", default=3)
DATABASES["default"]["OPTIONS"]["connect_timeout"] = DB_CONNECT_TIMEOUT
# The pool checks a connection before handing it out, so connections broken by a server restart
# are replaced instead of failing a request each: recovery needs nobody.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DB_POOL:
    DATABASES["default"]["OPTIONS"]["pool"] = {"min_size": 1, "max_size": DB_POOL_MAX, "timeout": DB_CONNECT_TIMEOUT}
else:  # e.g. behind PgBouncer in transaction mode
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
# Parameters are bound on the server, and a statement a connection has run 5 times is prepared
# there: the server stops parsing and planning the hot path's statements on every request (the
# answer path's SQL takes half the time). Prepared statements live on the connection, so they
# are on by default only with the pool; PgBouncer in transaction mode needs them off.
DATABASES["default"]["OPTIONS"]["server_side_binding"] = True
DATABASES["default"]["OPTIONS"]["prepare_threshold"] = (
    5 if env.bool("DB_PREPARED_STATEMENTS", default=DB_POOL) else None
)
# A read replica for analytics reads (studyin/routers.py): set DATABASE_REPLICA_URL.
if replica_url := env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = {**env.db_url_config(replica_url), "ENGINE": "studyin.postgresql"}
    DATABASES["replica"].setdefault("OPTIONS", {})
    DATABASES["replica"]["HOST"] = DATABASES["replica"]["OPTIONS"].pop("host", DATABASES["replica"]["HOST"])
    DATABASES["replica"]["OPTIONS"].update(connect_timeout=DB_CONNECT_TIMEOUT, server_side_binding=True)
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
ANALYTICS_READ_REPLICA = env.bool("ANALYTICS_READ_REPLICA", default=True)  # with a replica configured
REPLICA_MIGRATE = False  # a streaming replica gets its schema from the primary
DATABASE_ROUTERS = ["studyin.routers.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, sessions, rate limits, Celery broker -------------------------------------
REDIS_URL = env.str("REDIS_URL", default="") or embedded.redis_url()
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        # Seed 000's key layout: studyin:user:{id}:stats, studyin:ratelimit:{id}:{endpoint}, ...
        "KEY_PREFIX": "studyin",
        "KEY_FUNCTION": "studyin.cache.make_key",
        "TIMEOUT": 300,
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            # Redis is a cache in front of durable state (DESIGN.md "Redis keys"): with Redis down
            # a read is a miss and a write is skipped, never an error; a dead server is given up
            # on within a second rather than hanging the page.
            "IGNORE_EXCEPTIONS": True,
            "SOCKET_CONNECT_TIMEOUT": 1,
            "SOCKET_TIMEOUT": 1,
        },
    }
}
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True  # an outage shows in the log, once per cache call
# Sessions live in PostgreSQL with Redis in front (seed 000's Redis session role): a Redis
# outage logs nobody out, it only makes reading a session a database query.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=14 * 24 * 3600)

# --- Auth ----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.UserBackend"]  # ModelBackend, with a cheaper user lookup
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"
# Log-in limits on failed attempts (accounts.services.user_authenticate): a minute for one
# account from one address, a minute from one address, and the addresses failing at one account
# within an hour.
LOGIN_RATE_LIMIT = env.int("LOGIN_RATE_LIMIT", default=5)
LOGIN_IP_RATE_LIMIT = env.int("LOGIN_IP_RATE_LIMIT", default=30)
LOGIN_ACCOUNT_ADDRESS_LIMIT = env.int("LOGIN_ACCOUNT_ADDRESS_LIMIT", default=20)
EMAIL_VERIFICATION_TTL_HOURS = env.int("EMAIL_VERIFICATION_TTL_HOURS", default=48)
PASSWORD_RESET_TTL_MINUTES = env.int("PASSWORD_RESET_TTL_MINUTES", default=60)

EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="StudyIn <no-reply@studyin.local>")

# --- I18N, static, media --------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on every start without it
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "var" / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Security (production) ------------------------------------------------------------------
# With DEBUG off, StudyIn is served over HTTPS only: HTTP redirects to HTTPS, browsers are told
# to use HTTPS for a year (HSTS), cookies are Secure. Behind a proxy that terminates TLS, set
# SECURE_PROXY_SSL_HEADER=true so the proxy's X-Forwarded-Proto says the request was HTTPS (the
# proxy must set that header itself, never pass a client's on); a proxy that redirects HTTP
# itself may turn the redirect off with SECURE_SSL_REDIRECT=false.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers check health over plain HTTP
if env.bool("SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp): everything from StudyIn itself, no inline script or
# style, no plugins, no framing. Scripts are static files (static/js/), bars are SVG.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Permissions-Policy: StudyIn uses no device or sensor, so none may be used by the page or any
# frame in it.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer", "autoplay", "browsing-topics", "camera",
        "display-capture", "geolocation", "gyroscope", "hid", "idle-detection", "magnetometer", "microphone",
        "midi", "payment", "publickey-credentials-get", "screen-wake-lock", "serial", "usb", "xr-spatial-tracking",
    )
}  # fmt: skip

# --- Celery ---------------------------------------------------------------------------------


def broker_url(redis_url: str) -> str:
    """Celery's (kombu's) spelling of a Redis URL: a socket is `redis+socket://`, and its database
    is `virtual_host`; kombu ignores `?db=` there and would use database 0."""
    if not redis_url.startswith("unix://"):
        return redis_url
    return re.sub(r"([?&])db=", r"\1virtual_host=", redis_url.replace("unix://", "redis+socket://", 1))


CELERY_BROKER_URL = broker_url(REDIS_URL)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=30 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=25 * 60)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# A task's message goes back to the queue if its worker has not acknowledged it this long after
# taking it (late acknowledgement: a task is acknowledged when it ends). It must outlast the
# longest task, its hard time limit, and the longest retry countdown, or a task still running
# would be delivered to a second worker. A worker that died is caught much sooner by its lapsed
# lease (JOB_LEASE_SECONDS); this is the backstop for every other task.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT + 15 * 60}
# A worker child that grew past this (KiB) after a task is replaced by a fresh one, so memory
# one large document took is given back. Each stage is bounded on its own too (PARSE_MAX_MEMORY_MB).
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env.int("CELERY_WORKER_MAX_MEMORY_PER_CHILD", default=1536 * 1024)
# Queues by kind, so each can get its own workers (README, "Production"). `make run` consumes all.
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "materials.tasks.stage_run": {"queue": "ingestion"},
    "analytics.tasks.*": {"queue": "maintenance"},
    "accounts.tasks.*": {"queue": "maintenance"},
    "materials.tasks.jobs_reap": {"queue": "maintenance"},
    "questions.tasks.*": {"queue": "maintenance"},
    "coach.tasks.*": {"queue": "default"},
    "studyin.tasks.*": {"queue": "maintenance"},  # a student is waiting: never behind ingestion
}
CELERY_BEAT_SCHEDULE_FILENAME = str(BASE_DIR / "var" / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "partitions-maintain": {
        "task": "analytics.tasks.partitions_maintain",
        "schedule": crontab(minute=15, hour=3, day_of_month=1),
    },
    "materials-jobs-reap": {
        "task": "materials.tasks.jobs_reap",
        "schedule": 60.0,
        "options": {"expires": 55},  # a run that waited a whole minute is replaced by the next one
    },
    "questions-item-statistics": {
        "task": "questions.tasks.item_statistics_refresh",
        "schedule": crontab(minute=40),
    },
    "analytics-day-metrics": {
        "task": "analytics.tasks.day_metrics_write",
        "schedule": crontab(minute=10, hour="2,15"),
    },
    "analytics-user-stats": {
        "task": "analytics.tasks.user_stats_refresh",
        "schedule": crontab(minute="*/15"),
        "options": {"expires": 600},
    },
    "indexes-rebuild": {
        "task": "studyin.tasks.reindex",
        "schedule": crontab(minute=45, hour=3, day_of_week="sunday"),
    },
    "tokens-purge-expired": {
        "task": "accounts.tasks.tokens_purge_expired",
        "schedule": crontab(minute=30, hour=4),
    },
}

# --- Analytics partitions (seed 000 retention: analytics hot 6 months, cold > 12, deleted > 24)
PARTITION_MONTHS_AHEAD = env.int("PARTITION_MONTHS_AHEAD", default=12)
PARTITION_ARCHIVE_AFTER_MONTHS = env.int("PARTITION_ARCHIVE_AFTER_MONTHS", default=12)
PARTITION_DROP_AFTER_MONTHS = env.int("PARTITION_DROP_AFTER_MONTHS", default=24)

# --- Checks ---------------------------------------------------------------------------------
# Seed 000 reuses CHECK constraint names across tables (valid_expiration, positive_counts).
# PostgreSQL scopes CHECK names per table, so the seed's names are kept. Two seed index names
# (idx_session_questions_question_id, idx_user_achievements_unlocked_at) pass Django's 30-character
# limit, which exists for Oracle; PostgreSQL allows 63.
SILENCED_SYSTEM_CHECKS = ["models.E032", "models.E034"]

# Who hears of errors: "Name <address>, ...". With DEBUG off, a 500 (Django's own logging) and
# an unexpected failure of a pipeline stage are e-mailed to them; the pages that promise "staff
# have been notified" rely on it.
ADMINS = [(name, address) for name, address in getaddresses(env.list("ADMINS", default=[])) if address]
SERVER_EMAIL = env.str("SERVER_EMAIL", default="StudyIn <errors@studyin.local>")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"require_debug_false": {"()": "django.utils.log.RequireDebugFalse"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "mail_admins": {
            "level": "ERROR",
            "filters": ["require_debug_false"],
            "class": "django.utils.log.AdminEmailHandler",
        },
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"pgserver": {"level": "WARNING"}, "materials": {"handlers": ["mail_admins"]}},
}

# --- Materials pipeline ---------------------------------------------------------------------
MATERIAL_MAX_UPLOAD_BYTES = env.int("MATERIAL_MAX_UPLOAD_BYTES", default=50 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
CHUNK_SIZE = env.int("CHUNK_SIZE", default=1000)  # characters (~200 MiniLM tokens)
CHUNK_OVERLAP = env.int("CHUNK_OVERLAP", default=200)  # characters
# The most memory the parse stage may add to a worker for one file (MB); a file that needs more
# fails with a message saying so (materials.parsing.memory_limit).
PARSE_MAX_MEMORY_MB = env.int("PARSE_MAX_MEMORY_MB", default=1024)
QUESTIONS_PER_MATERIAL = env.int("QUESTIONS_PER_MATERIAL", default=30)
# A stage's claim lasts JOB_LEASE_SECONDS and its worker renews it every third of that; a stage
# whose worker died is taken over by the reaper (every minute) once the lease lapses.
JOB_LEASE_SECONDS = env.int("JOB_LEASE_SECONDS", default=60)
# A stage queued this long ago and still not claimed is sent again (its message was lost). Longer
# than the longest retry backoff (10 minutes), so a retry waiting for its countdown is not doubled.
JOB_REQUEUE_AFTER_SECONDS = env.int("JOB_REQUEUE_AFTER_SECONDS", default=15 * 60)
JOB_MAX_ATTEMPTS = env.int("JOB_MAX_ATTEMPTS", default=3)

# --- AI backends ----------------------------------------------------------------------------
# "local": all-MiniLM-L6-v2 (int8 ONNX, shipped by a PyPI package, 384 dimensions, CPU, offline).
# "openai": any OpenAI-compatible /embeddings endpoint (text-embedding-3-small: 1536).
EMBEDDING_BACKEND = env.str("EMBEDDING_BACKEND", default="local")
EMBEDDING_API_BASE = env.str("EMBEDDING_API_BASE", default="")
EMBEDDING_API_KEY = env.str("EMBEDDING_API_KEY", default="")
EMBEDDING_MODEL = env.str("EMBEDDING_MODEL", default="text-embedding-3-small")
# Dimension of material_chunks.embedding (vector(N)); changing it is `manage.py reembed`.
EMBEDDING_DIMENSIONS = env.int("EMBEDDING_DIMENSIONS", default=384)
EMBEDDING_BATCH_SIZE = env.int("EMBEDDING_BATCH_SIZE", default=64)
EMBEDDING_THREADS = env.int("EMBEDDING_THREADS", default=0)  # 0: one per core
# Semantic search shows a passage only from this cosine similarity on. Measured with the local
# MiniLM on cardiology notes: nonsense and unrelated queries ("xyzzy nonsense", "football
# results", "recipe for chocolate cake") reach at most 0.07, off-topic medicine ("sickle cell
# anemia" against cardiology) 0.14; relevant one- and two-word queries ("syncope", "beta
# blocker", "P waves") 0.17-0.22 and questions 0.4-0.7. Other embedders need their own value.
SEARCH_MIN_SIMILARITY = env.float("SEARCH_MIN_SIMILARITY", default=0.15)
# "offline": questions built from the material itself. "openai": an OpenAI-compatible chat endpoint.
QUESTION_GENERATOR = env.str("QUESTION_GENERATOR", default="offline")
LLM_API_BASE = env.str("LLM_API_BASE", default="")
LLM_API_KEY = env.str("LLM_API_KEY", default="")
LLM_MODEL = env.str("LLM_MODEL", default="gpt-4o-mini")
AI_HTTP_TIMEOUT = env.float("AI_HTTP_TIMEOUT", default=60.0)

# --- Database operations (README "Operating it") ----------------------------------------------
PG_BIN_DIR = env.str("PG_BIN_DIR", default="")  # pg_dump and pg_restore; else the PATH, else the embedded server's
BACKUP_DIR = env.str("BACKUP_DIR", default=str(BASE_DIR / "var" / "backups"))

# --- Coach (coach/answering.py, README "The coach") ------------------------------------------
# "offline": answers composed from the retrieved passages' own sentences. "openai": the
# OpenAI-compatible chat endpoint above (LLM_API_BASE, LLM_API_KEY, LLM_MODEL).
COACH_ANSWERER = env.str("COACH_ANSWERER", default="offline")
# A passage counts as found for the coach from this cosine similarity on (or from
# SEARCH_MIN_SIMILARITY when it contains a word of the question). Measured with the local MiniLM
# on the demo's notes (bench/coach_threshold.py): questions the notes answer reach 0.38-0.73
# (median 0.57) on their best passage, medical questions they do not answer 0.19-0.48 (median
# 0.35), anything else under 0.16. The two overlap, so the threshold keeps every covered question
# and the offline answerer's coverage gate (coach/answering.py MIN_COVERAGE) refuses the rest.
COACH_MIN_SIMILARITY = env.float("COACH_MIN_SIMILARITY", default=0.35)
COACH_PASSAGES = env.int("COACH_PASSAGES", default=6)  # retrieved per question
COACH_RATE_LIMIT = env.int("COACH_RATE_LIMIT", default=30)  # messages per student ...
COACH_RATE_WINDOW = env.int("COACH_RATE_WINDOW", default=600)  # ... per this many seconds
# A reply still pending after this long (its task lost) ends failed, with a retry button: the
# model's timeout times its four tries, and the backoff between them, fit inside it.
COACH_REPLY_TIMEOUT = env.int("COACH_REPLY_TIMEOUT", default=300)
