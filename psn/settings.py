"""PSN Hub settings: every value comes from the environment (12-factor), with safe defaults.

Defaults give the embedded run (SQLite, kombu filesystem broker, mail to files, all under ``var/``).
Production sets DATABASE_URL, REDIS_URL, SECRET_KEY, ALLOWED_HOSTS and leaves DEBUG off.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

VAR_DIR = Path(env.str("PSN_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DEBUG", default=False)
if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="insecure-development-key-do-not-use-in-production-0000")
else:
    # Required: the process refuses to start without it outside DEBUG.
    SECRET_KEY = env.str("SECRET_KEY")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Served over HTTPS (behind the proxy): secure cookies, HSTS and the HTTPS redirect.
PSN_HTTPS = env.bool("PSN_HTTPS", default=not DEBUG)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",  # full-text and trigram search lookups (only used on PostgreSQL)
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "axes",
    "csp",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "psn",
    "accounts",
    "partners",
    "cases",
    "meetings",
    "reports",
    "research",
    "governance",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "psn.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.SessionLifetimeMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "psn.middleware.TaskForceMiddleware",
    "accounts.middleware.RequireMFAMiddleware",
    # Last, so a lockout is turned into its response after every other middleware ran.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "psn.urls"
WSGI_APPLICATION = "psn.wsgi.application"
ASGI_APPLICATION = "psn.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "psn.context_processors.psn",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'psn.sqlite3'}")}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # A file, not memory, so a real Celery worker in the tests can open the test database too.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-psn.sqlite3")}
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and broker -----------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    # Fails open (psn/cache.py says why): with Redis down the pages keep working; short timeouts keep them fast.
    CACHES = {
        "default": {
            "BACKEND": "psn.cache.FailOpenRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1.0},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_QUEUE_DIR = VAR_DIR / "celery" / "queue"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    for _folder in (CELERY_QUEUE_DIR, VAR_DIR / "celery" / "processed", VAR_DIR / "celery" / "control"):
        _folder.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_QUEUE_DIR),
        "data_folder_out": str(CELERY_QUEUE_DIR),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
# Task modules that autodiscovery (``<app>.tasks`` only) does not find, being one level down in their app.
CELERY_IMPORTS = ["partners.hsds.tasks"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    # Retention (governance/services.py, retention_purge_all): each task force's expired records, in batches.
    "purge-expired-records": {
        "task": "governance.tasks.purge_expired_records",
        "schedule": timedelta(hours=24),
    },
    "disable-dormant-accounts": {
        "task": "accounts.tasks.disable_dormant_accounts",
        "schedule": timedelta(hours=24),
    },
    "purge-directory-import-files": {
        "task": "partners.hsds.tasks.purge_directory_import_files",
        "schedule": timedelta(hours=1),
    },
    "mark-overdue-referrals": {
        "task": "cases.tasks.mark_overdue_referrals",
        "schedule": timedelta(minutes=15),
    },
    # Notification emails whose task never reached the broker (it was down at the commit): queued again
    # (cases/notifications.py, notification_emails_resend_unsent).
    "resend-unsent-notification-emails": {
        "task": "cases.tasks.resend_unsent_notification_emails",
        "schedule": timedelta(minutes=10),
    },
    "delete-orphan-storage-files": {
        "task": "cases.tasks.storage_orphans_delete",
        "schedule": timedelta(hours=24),
    },
    "send-due-reminders": {
        "task": "meetings.tasks.send_due_reminders",
        "schedule": timedelta(minutes=1),
    },
    "extend-meeting-series": {
        "task": "meetings.tasks.extend_meeting_series",
        "schedule": timedelta(hours=24),
    },
    "refresh-meeting-invitees": {
        "task": "meetings.tasks.refresh_meeting_invitees",
        "schedule": timedelta(hours=24),
    },
    # Last month's report for each task force from 06:00 on the 1st, in its own time zone (reports/services.py).
    "schedule-monthly-reports": {
        "task": "reports.tasks.schedule_monthly_reports",
        "schedule": timedelta(minutes=15),
    },
    # Report builds whose worker was lost: queued again, or failed with the reason (reports/services.py).
    "recover-stale-reports": {
        "task": "reports.tasks.recover_stale_reports",
        "schedule": timedelta(minutes=5),
    },
    # Research extract builds whose worker was lost: the same (research/services.py).
    "recover-stale-extracts": {
        "task": "research.tasks.recover_stale_extracts",
        "schedule": timedelta(minutes=5),
    },
    # Research extract zips and keys, 30 days after their grant ended or was revoked (research/services.py).
    "expire-research-extract-files": {
        "task": "research.tasks.expire_extract_files",
        "schedule": timedelta(hours=24),
    },
    # Person record exports (cases/person_record.py): lost builds taken over; zips deleted a day after they were made.
    "recover-stale-person-records": {
        "task": "cases.tasks.recover_stale_person_records",
        "schedule": timedelta(minutes=5),
    },
    "expire-person-record-files": {
        "task": "cases.tasks.expire_person_record_files",
        "schedule": timedelta(hours=1),
    },
}
# Report builds (reports/services.py): a build running longer than this lost its worker and is taken over.
PSN_REPORT_STALE_SECONDS = env.int("PSN_REPORT_STALE_SECONDS", default=30 * 60)
# Tests only (the worker kill test): milliseconds to wait at each progress step of a build; 0 in production.
PSN_REPORT_STEP_DELAY_MS = env.int("PSN_REPORT_STEP_DELAY_MS", default=0)
# Meeting reminders (meetings/reminders.py): a claim older than this is taken over by another run.
PSN_REMINDER_LEASE_SECONDS = env.int("PSN_REMINDER_LEASE_SECONDS", default=300)
# Tests only (the worker kill test): milliseconds to wait before each reminder is sent, and after it is sent before
# it is marked; 0 in production.
PSN_REMINDER_SEND_DELAY_MS = env.int("PSN_REMINDER_SEND_DELAY_MS", default=0)
PSN_REMINDER_MARK_DELAY_MS = env.int("PSN_REMINDER_MARK_DELAY_MS", default=0)
# Calendar feed (meetings/feed_views.py): reads per window, per feed and per client address, and failed reads
# (unknown or revoked addresses) per client address; counted in the cache (Redis in production).
PSN_CALENDAR_FEED_RATE_WINDOW_SECONDS = env.int("PSN_CALENDAR_FEED_RATE_WINDOW_SECONDS", default=600)
PSN_CALENDAR_FEED_TOKEN_RATE = env.int("PSN_CALENDAR_FEED_TOKEN_RATE", default=30)
PSN_CALENDAR_FEED_IP_RATE = env.int("PSN_CALENDAR_FEED_IP_RATE", default=300)
PSN_CALENDAR_FEED_FAILED_IP_RATE = env.int("PSN_CALENDAR_FEED_FAILED_IP_RATE", default=20)

# --- Email ----------------------------------------------------------------------------------
EMAIL_URL = env.str("EMAIL_URL", default="")
if EMAIL_URL:
    vars().update(environ.Env.email_url_config(EMAIL_URL))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(VAR_DIR / "mail")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="PSN Hub <no-reply@psnhub.invalid>")
# The site's address as users reach it (scheme and host, no trailing slash): every link in an email starts with it.
# The default suits `make run`; production sets it (`check --deploy` warns otherwise, see psn/checks.py).
PSN_SITE_URL = env.str("PSN_SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Authentication -------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env.int("PSN_PASSWORD_MIN_LENGTH", default=12)},
    },
    {
        "NAME": "accounts.validators.MaximumLengthValidator",
        "OPTIONS": {"max_length": env.int("PSN_PASSWORD_MAX_LENGTH", default=128)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
}
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[PSN Hub] "
MFA_ADAPTER = "accounts.adapters.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_TOTP_ISSUER = "PSN Hub"
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG
MFA_PASSKEY_LOGIN_ENABLED = False
# Sessions are listed from their sign-in (IP, browser, time). Tracking "last seen" would cost an
# UPDATE and four queries on every request; the idle timeout is enforced by our own middleware.
USERSESSIONS_TRACK_ACTIVITY = False

# Security limits (DESIGN.md "Security"); every number is a setting.
PSN_REQUIRE_MFA = env.bool("PSN_REQUIRE_MFA", default=not DEBUG)
PSN_LOCKOUT_FAILURES = env.int("PSN_LOCKOUT_FAILURES", default=5)
PSN_LOCKOUT_WINDOW = timedelta(minutes=env.int("PSN_LOCKOUT_WINDOW_MINUTES", default=15))
PSN_IDLE_TIMEOUT = env.int("PSN_IDLE_TIMEOUT_SECONDS", default=30 * 60)
PSN_IDLE_WARNING = env.int("PSN_IDLE_WARNING_SECONDS", default=2 * 60)
PSN_SESSION_MAX_AGE = env.int("PSN_SESSION_MAX_AGE_SECONDS", default=12 * 60 * 60)
PSN_DORMANT_DAYS = env.int("PSN_DORMANT_DAYS", default=90)
# Days an emailed invitation link (partners/members.py) stays valid.
PSN_INVITATION_DAYS = env.int("PSN_INVITATION_DAYS", default=7)
# Days the audit events of no task force (sign-ins, failed logins, lockouts, the site admin's work) are kept before
# the daily purge removes them (governance/services.py, site_audit_purge); never fewer than 365 (CJIS AU-11).
PSN_SITE_AUDIT_RETENTION_DAYS = env.int("PSN_SITE_AUDIT_RETENTION_DAYS", default=7 * 365)

AXES_FAILURE_LIMIT = PSN_LOCKOUT_FAILURES
AXES_COOLOFF_TIME = None  # locked until a partner admin, coordinator or site admin releases it
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_USERNAME_CALLABLE = "accounts.lockout.username_from_request"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_HANDLER = "accounts.lockout.WindowedAxesHandler"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# The client address recorded in the audit trail and lockout log. X-Forwarded-For is trusted only when
# PSN_PROXY_COUNT=1 says our own proxy stands in front (docker-compose); otherwise a client could write any
# address into it. The proxy appends the address it received from, so the client is the right-most entry.
# With more proxies in a chain, let the outermost one set X-Forwarded-For afresh and keep this at 1.
PSN_PROXY_COUNT = min(env.int("PSN_PROXY_COUNT", default=0), 1)
AXES_IPWARE_PROXY_ORDER = "right-most"
AXES_IPWARE_PROXY_COUNT = None
AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if PSN_PROXY_COUNT else ["REMOTE_ADDR"]
# allauth's per-IP rate limits must see the client too, not the proxy everyone shares.
ALLAUTH_TRUSTED_PROXY_COUNT = PSN_PROXY_COUNT
AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if PSN_PROXY_COUNT else ["REMOTE_ADDR"]

SESSION_ENGINE = "django.contrib.sessions.backends.db"
# Flash messages can name people ("Jordan Smith was merged"): kept server-side in the session, not in a cookie.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
SESSION_COOKIE_AGE = PSN_SESSION_MAX_AGE
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = PSN_HTTPS
SESSION_COOKIE_NAME = "__Host-psn_session" if PSN_HTTPS else "psn_session"
CSRF_COOKIE_SECURE = PSN_HTTPS
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_NAME = "__Host-psn_csrftoken" if PSN_HTTPS else "psn_csrftoken"
LANGUAGE_COOKIE_SECURE = PSN_HTTPS
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

# --- HTTP security headers ------------------------------------------------------------------
SECURE_SSL_REDIRECT = PSN_HTTPS and env.bool("PSN_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("PSN_BEHIND_PROXY", default=False) else None
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if PSN_HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = PSN_HTTPS
SECURE_HSTS_PRELOAD = PSN_HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
USE_X_FORWARDED_HOST = False

_SELF = "'self'"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [_SELF],
        "script-src": [_SELF],
        "style-src": [_SELF],
        "img-src": [_SELF, "data:"],
        "font-src": [_SELF],
        "connect-src": [_SELF],
        "frame-src": ["'none'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": [_SELF],
        "frame-ancestors": ["'none'"],
        "manifest-src": [_SELF],
        "worker-src": [_SELF],
    }
}

# --- i18n -----------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Never served by URL: files are streamed only through views that check access.
MEDIA_URL = "/private-media-not-served/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str("STATICFILES_STORAGE", default="whitenoise.storage.CompressedManifestStaticFilesStorage")
    },
}
WHITENOISE_USE_FINDERS = DEBUG
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# HSDS directory import (partners/hsds/reader/): the largest upload, and what a zip may unpack to.
PSN_HSDS_MAX_UPLOAD_BYTES = env.int("PSN_HSDS_MAX_UPLOAD_BYTES", default=50 * 1024 * 1024)
PSN_HSDS_ZIP_MAX_UNCOMPRESSED_BYTES = env.int("PSN_HSDS_ZIP_MAX_UNCOMPRESSED_BYTES", default=200 * 1024 * 1024)
PSN_HSDS_ZIP_MAX_RATIO = env.int("PSN_HSDS_ZIP_MAX_RATIO", default=100)
PSN_HSDS_ZIP_MAX_MEMBERS = env.int("PSN_HSDS_ZIP_MAX_MEMBERS", default=100)
# Uploads up to this size are imported during the request; larger ones by a Celery worker, with progress.
PSN_HSDS_INLINE_MAX_BYTES = env.int("PSN_HSDS_INLINE_MAX_BYTES", default=256 * 1024)
# Referral attachments (cases/attachments.py): the largest file accepted.
PSN_ATTACHMENT_MAX_BYTES = env.int("PSN_ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.BearerTokenAuthentication",
        "accounts.authentication.CsrfSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["psn.api.IsActiveMember"],
    "DEFAULT_PAGINATION_CLASS": "psn.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["psn.api.JSONParser"],
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": env.str("PSN_API_USER_RATE", default="600/minute"),
    },
    "EXCEPTION_HANDLER": "psn.api.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_VERSIONING_CLASS": None,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
PSN_API_TOKEN_DEFAULT_DAYS = env.int("PSN_API_TOKEN_DEFAULT_DAYS", default=90)
PSN_API_TOKEN_MAX_DAYS = env.int("PSN_API_TOKEN_MAX_DAYS", default=365)
SPECTACULAR_SETTINGS = {
    "TITLE": "PSN Hub API",
    "DESCRIPTION": "Project Safe Neighborhoods task-force workspace. Every call acts inside one task force: "
    "send `X-Task-Force: <slug>` when your account belongs to more than one.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The API's map is for its users: signed in (session or token), not for anyone probing the server.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # The error responses of every operation, and blank read-only emails and URLs (psn/openapi.py).
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "psn.openapi.postprocess"],
    # Several models have a "status": one named enum each (else drf-spectacular invents hashed names).
    "ENUM_NAME_OVERRIDES": {
        "ReferralStatusEnum": "cases.models.Status",
        "DirectoryImportStatusEnum": "partners.models.DirectoryImportStatus",
        "ReasonKindEnum": "cases.models.ReasonKind",
        "KindEnum": "partners.models.PartnerKind",  # its name before reason codes had a kind too
        "MeetingKindEnum": "meetings.models.MeetingKind",
        "MeetingStatusEnum": "meetings.models.MeetingStatus",
        "ActionItemStatusEnum": "meetings.models.ActionItemStatus",
        "LegalHoldKindEnum": "governance.models.HoldKind",
    },
}

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "django.security": {"level": "WARNING"},
        # WeasyPrint (report PDFs) and fontTools log each step at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

ADMINS = [("Operator", a) for a in env.list("PSN_ADMIN_EMAILS", default=[])]
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
CSRF_FAILURE_VIEW = "psn.views.csrf_failure"
# Accounts lock by account (CJIS 5.5.3 counts failures per account); per-IP throttling of failed logins
# is allauth's "login_failed" rate limit above, so axes' advice to add the IP is deliberately not taken.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
