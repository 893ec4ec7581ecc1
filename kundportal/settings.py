"""The one settings module: everything that differs between installations comes from the environment.

Defaults are the embedded single-machine installation: everything under ./var (SQLite in WAL mode, files, keys,
certificate), HTTPS, debug off. See the README for every variable.
"""

from __future__ import annotations

import datetime
from pathlib import Path

from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from kundportal.config import (
    ConfigError,
    data_dir,
    database_config,
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_str,
    env_url,
    secret_from_env_or_file,
)
from kundportal.mail import email_settings

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = data_dir()

DEBUG = env_bool("KUNDPORTAL_DEBUG")
SECRET_KEY = secret_from_env_or_file("KUNDPORTAL_SECRET_KEY", DATA_DIR / "secret_key")

BASE_URL = env_url("KUNDPORTAL_BASE_URL", "https://127.0.0.1:8443", schemes=("https", "http")).rstrip("/")
ALLOWED_HOSTS = env_list("KUNDPORTAL_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = [BASE_URL]

# `kundportal serve --http` runs behind a TLS proxy. The proxy's X-Forwarded-Proto is believed only when the
# operator says the proxy sets it (KUNDPORTAL_TRUST_PROXY); otherwise a client could claim HTTPS itself.
PLAIN_HTTP = env_bool("KUNDPORTAL_PLAIN_HTTP")
TRUST_PROXY = env_bool("KUNDPORTAL_TRUST_PROXY")
if TRUST_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Behind an untrusted proxy every request looks like plain HTTP, so redirecting would loop.
SECURE_SSL_REDIRECT = not PLAIN_HTTP or TRUST_PROXY

INSTALLED_APPS = [
    "django_countries",
    "kundportal.core",
    "kundportal.accounts",
    "kundportal.organisations",
    "kundportal.audit",
    "kundportal.documents",
    "kundportal.customers",
    "kundportal.commerce",
    "kundportal.imports",
    "kundportal.privacy",
    "kundportal.offers",
    "kundportal.recommendations",
    "kundportal.insights",
    "kundportal.messaging",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "django_htmx",
    "django_tasks_db",
    "ninja",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "kundportal.core.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "kundportal.core.middleware.SessionLifetimeMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kundportal.accounts.middleware.UserLanguageMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "kundportal.accounts.middleware.RequireMfaMiddleware",
]

ROOT_URLCONF = "kundportal.urls"
WSGI_APPLICATION = "kundportal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "kundportal.core.context_processors.portal",
            ],
        },
    },
]

# Database
DATABASES = {
    "default": database_config(env_str("DATABASE_URL"), default_sqlite=DATA_DIR / "kundportal.sqlite3"),
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache, sessions and rate limits: Redis once there is more than one app server, else a file cache in the
# data directory, which every worker process on this machine shares (login throttling must count across them).
REDIS_URL = env_url("REDIS_URL", schemes=("redis", "rediss", "unix"))
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

# File storage: blobs are always encrypted before they reach either backend.
STORAGE_KIND = env_choice("KUNDPORTAL_STORAGE", "file", ("file", "s3"))
if STORAGE_KIND == "s3":
    AWS_STORAGE_BUCKET_NAME = env_str("AWS_STORAGE_BUCKET_NAME")
    if not AWS_STORAGE_BUCKET_NAME:
        raise ConfigError("AWS_STORAGE_BUCKET_NAME", "required when KUNDPORTAL_STORAGE=s3")
    AWS_S3_ENDPOINT_URL = env_url("AWS_S3_ENDPOINT_URL", schemes=("http", "https")) or None
    AWS_S3_REGION_NAME = env_str("AWS_S3_REGION_NAME") or env_str("AWS_DEFAULT_REGION") or None
    AWS_S3_ADDRESSING_STYLE = env_choice("AWS_S3_ADDRESSING_STYLE", "path", ("path", "virtual", "auto"))
    AWS_S3_SIGNATURE_VERSION = "s3v4"
    AWS_DEFAULT_ACL = None
    AWS_S3_FILE_OVERWRITE = False
    # A store that stops answering must not hang /readyz or a request for boto's default 60 s per try.
    # (Given a client config, django-storages no longer applies the addressing style and signature itself.)
    from botocore.config import Config as _BotoConfig

    AWS_S3_CLIENT_CONFIG = _BotoConfig(
        s3={"addressing_style": AWS_S3_ADDRESSING_STYLE},
        signature_version=AWS_S3_SIGNATURE_VERSION,
        connect_timeout=5,
        read_timeout=30,
        retries={"max_attempts": 3, "mode": "standard"},
    )
    BLOB_STORAGE = {"BACKEND": "storages.backends.s3.S3Storage"}
else:
    BLOB_STORAGE = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(DATA_DIR / "files"), "directory_permissions_mode": 0o700},
    }
STORAGES = {
    "default": BLOB_STORAGE,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(mode=0o700, exist_ok=True)  # whitenoise serves from the finders but expects the folder
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# The key-encryption keys live outside the database and the blob store.
MASTER_KEY_FILE = Path(env_str("KUNDPORTAL_MASTER_KEY_FILE") or DATA_DIR / "master.keys")
if env_str("KUNDPORTAL_MASTER_KEY_FILE") and not MASTER_KEY_FILE.is_file():
    raise ConfigError("KUNDPORTAL_MASTER_KEY_FILE", f"{MASTER_KEY_FILE} does not exist or is not a file")

# Background tasks
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# How often the worker looks for notification emails that are due (messaging.tasks.send_due_emails).
EMAIL_TICK_SECONDS = env_int("KUNDPORTAL_EMAIL_TICK_SECONDS", 60, minimum=5)
# Entries are task paths, queued every PERIODIC_TASK_SECONDS, or (path, seconds) for their own interval.
PERIODIC_TASKS: list[str | tuple[str, int]] = [
    "kundportal.documents.tasks.purge_trash",
    "kundportal.documents.tasks.sweep_orphans",
    "kundportal.customers.tasks.recompute_interests_nightly",  # does its work once a night
    "kundportal.commerce.tasks.refresh_purchases_nightly",  # does its work once a night
    "kundportal.insights.tasks.recompute_insights_nightly",  # does its work once a night
    "kundportal.imports.tasks.forget_expired_imports",
    "kundportal.offers.tasks.count_reach_nightly",  # does its work once a night
    "kundportal.recommendations.tasks.recompute_all_nightly",  # does its work once a night
    "kundportal.audit.tasks.seal_audit_events",
    "kundportal.audit.tasks.purge_expired_audit_events",
    "kundportal.audit.tasks.verify_audit_chain_nightly",  # does its work once a night
    "kundportal.privacy.tasks.expire_exports",
    "kundportal.privacy.tasks.apply_retention",
    ("kundportal.messaging.tasks.send_due_emails", EMAIL_TICK_SECONDS),
]
# Functions returning the blob names other apps keep in the documents' storage: the orphan sweep keeps them.
BLOB_NAME_SOURCES = ["kundportal.offers.images.blob_names", "kundportal.privacy.exports.blob_names"]
PERIODIC_TASK_SECONDS = env_int("KUNDPORTAL_PERIODIC_TASK_SECONDS", 3600, minimum=60)

# Email
# A local mail server by default, as most self-hosted services expect; `make run` prints mails instead.
EMAIL_URL = env_str("EMAIL_URL", "smtp://localhost:25")
globals().update(email_settings(EMAIL_URL))
DEFAULT_FROM_EMAIL = env_str("KUNDPORTAL_FROM_EMAIL", "Kundportal <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Notifications arriving within this many seconds of the first one go out as one email.
EMAIL_BATCH_SECONDS = env_int("KUNDPORTAL_EMAIL_BATCH_SECONDS", 180, minimum=0)
# When the daily digests go out, in TIME_ZONE (HH:MM).
EMAIL_DIGEST_TIME = env_str("KUNDPORTAL_EMAIL_DIGEST_TIME", "07:00")
try:
    _digest_time = datetime.time.fromisoformat(EMAIL_DIGEST_TIME)
except ValueError:
    raise ConfigError("KUNDPORTAL_EMAIL_DIGEST_TIME", f"expected HH:MM, got {EMAIL_DIGEST_TIME!r}") from None

# Accounts
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"

ACCOUNT_ADAPTER = "kundportal.accounts.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"  # addresses are proven by the invitation link they arrived through
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_PASSWORD_RESET_TOKEN_GENERATOR = "allauth.account.forms.EmailAwarePasswordResetTokenGenerator"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Kundportal] "
# Failed logins back off in steps, per account ("key") and per address: a few quick retries, then minutes,
# then an hour. allauth answers a throttled login exactly as a wrong password would not: with a plain
# "too many attempts", whether or not the account exists.
ACCOUNT_RATE_LIMITS = {
    "login_failed": "20/m/ip,60/h/ip,5/m/key,10/15m/key,20/h/key",
    "login": "30/m/ip",
    "reset_password": "5/m/ip,3/15m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "reauthenticate": "10/m/user",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_TOTP_ISSUER = env_str("KUNDPORTAL_NAME", "Kundportal")
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = env_bool("KUNDPORTAL_WEBAUTHN_INSECURE_ORIGIN")
# Tracking activity would write to the database on every request; the session list shows start and address.
USERSESSIONS_TRACK_ACTIVITY = False
USERSESSIONS_ADAPTER = "kundportal.accounts.adapters.UserSessionsAdapter"

INVITATION_MAX_AGE_DAYS = env_int("KUNDPORTAL_INVITATION_DAYS", 7, minimum=1)

# Documents
MAX_UPLOAD_BYTES = env_int("KUNDPORTAL_MAX_UPLOAD_MB", 5120, minimum=1) * 1024 * 1024
TRASH_RETENTION_DAYS = env_int("KUNDPORTAL_TRASH_DAYS", 30, minimum=1)
# Uploads are encrypted as they arrive (documents.uploads.EncryptingUploadHandler): no plaintext temp files.
FILE_UPLOAD_HANDLERS = ["kundportal.documents.uploads.EncryptingUploadHandler"]

# Audit log: entries older than this are deleted (the hash chain is anchored so it still verifies).
AUDIT_RETENTION_DAYS = env_int("KUNDPORTAL_AUDIT_RETENTION_DAYS", 730, minimum=30)

# Privacy: a "download my data" ZIP stays downloadable (stored encrypted) this long, then it is deleted.
DATA_EXPORT_HOURS = env_int("KUNDPORTAL_DATA_EXPORT_HOURS", 72, minimum=1)
# Retention rules (privacy.retention, applied by a periodic task): unused invitations (they hold an email address),
# notifications already read, and the record of emails sent (address and subject).
INVITATION_RETENTION_DAYS = env_int("KUNDPORTAL_INVITATION_RETENTION_DAYS", 90, minimum=1)
NOTIFICATION_RETENTION_DAYS = env_int("KUNDPORTAL_NOTIFICATION_RETENTION_DAYS", 365, minimum=7)
EMAIL_LOG_RETENTION_DAYS = env_int("KUNDPORTAL_EMAIL_LOG_RETENTION_DAYS", 90, minimum=7)
TASK_RESULT_RETENTION_DAYS = env_int("KUNDPORTAL_TASK_RESULT_RETENTION_DAYS", 7, minimum=1)

# Sessions: an idle timeout and an absolute lifetime (SessionLifetimeMiddleware enforces both).
SESSION_IDLE_SECONDS = env_int("KUNDPORTAL_SESSION_IDLE_MINUTES", 120, minimum=1) * 60
SESSION_COOKIE_AGE = env_int("KUNDPORTAL_SESSION_MAX_HOURS", 12, minimum=1) * 3600
SESSION_COOKIE_NAME = "__Host-kp_session"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_NAME = "__Host-kp_csrf"
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "kundportal.core.views.csrf_failure"

# Security headers
SECURE_HSTS_SECONDS = env_int("KUNDPORTAL_HSTS_SECONDS", 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("KUNDPORTAL_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("KUNDPORTAL_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
}
# HSTS preload is a one-way promise about the whole domain: the operator opts in with KUNDPORTAL_HSTS_PRELOAD.
SILENCED_SYSTEM_CHECKS = ["security.W021"]

# Languages: the seeds' own, from day one.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("sv", _("Swedish")), ("de", _("German"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "kp_language"
LANGUAGE_COOKIE_SECURE = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
USE_I18N = True
USE_TZ = True
TIME_ZONE = env_str("KUNDPORTAL_TIME_ZONE", "Europe/Stockholm")

PORTAL_NAME = env_str("KUNDPORTAL_NAME", "Kundportal")

# API
NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_LIMIT = 200

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {
        "handlers": ["console"],
        "level": env_choice("KUNDPORTAL_LOG_LEVEL", "info", ("debug", "info", "warning", "error")).upper(),
    },
}
