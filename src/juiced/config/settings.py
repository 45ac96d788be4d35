"""Juiced settings: one module, driven by the environment, safe defaults for the embedded SQLite demo."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
import dj_email_url

PACKAGE_DIR = Path(__file__).resolve().parent.parent
# Where the embedded database and uploaded files live; `make run` uses ./var.
VAR_DIR = Path(os.environ.get("JUICED_VAR_DIR", Path.cwd() / "var")).resolve()


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get(
    "SECRET_KEY", "juiced-insecure-development-key-change-me-in-production-0123456789"
)
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "juiced.core",
    "juiced.tenants",
    "juiced.customers",
    "juiced.wallets",
    "juiced.payments",
    "juiced.notifications",
    "juiced.webhooks",
    "juiced.leads",
    "juiced.returns",
    "juiced.vending",
    "juiced.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "juiced.config.urls"
WSGI_APPLICATION = "juiced.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DEFAULT_SQLITE_URL = f"sqlite:///{VAR_DIR / 'juiced.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL", DEFAULT_SQLITE_URL))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL for concurrent readers, FULL sync so a committed charge survives a power cut, and
    # BEGIN IMMEDIATE so every atomic block takes the write lock up front (per-wallet serialisation).
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("CONN_MAX_AGE", "60"))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Server-side binding lets psycopg prepare a statement after it has run a few times on a persistent
    # connection, so PostgreSQL stops re-planning the hot queries (measured in bench/wallet.py).
    DATABASES["default"]["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": 2}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "tenants.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if env_bool("JUICED_FAST_HASHER"):
    # Tests and benchmarks only: hashing with PBKDF2 dominates logins there.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# Uploaded files (vending account documents); served only through permission-checked views.
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": os.environ.get(
            "JUICED_STATICFILES_STORAGE", "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# EMAIL_URL: smtp://user:pass@host:port, console://, memory://, or file:///absolute/folder (default var/mail).
_email_url = os.environ.get("EMAIL_URL", "")
_email = dj_email_url.parse(_email_url) if _email_url else {}
if not _email_url or _email_url.startswith("file:"):
    _email["EMAIL_BACKEND"] = "django.core.mail.backends.filebased.EmailBackend"
    _email["EMAIL_FILE_PATH"] = _email_url[len("file://") :] if _email_url else str(VAR_DIR / "mail")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_FILE_PATH = _email.get("EMAIL_FILE_PATH") or str(VAR_DIR / "mail")
EMAIL_HOST = _email.get("EMAIL_HOST") or "localhost"
EMAIL_PORT = _email.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Juiced <no-reply@juiced.local>")

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# The public address of this installation, used in e-mailed links (invites, password resets).
JUICED_BASE_URL = os.environ.get("JUICED_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
JUICED_INVITE_TTL_HOURS = int(os.environ.get("JUICED_INVITE_TTL_HOURS", "72"))
# Webhooks (docs/webhooks.md): the default of each tenant's "allow private webhook addresses (testing)"
# flag, and the timeout of one delivery request in seconds.
JUICED_WEBHOOK_ALLOW_PRIVATE = env_bool("JUICED_WEBHOOK_ALLOW_PRIVATE", False)
JUICED_WEBHOOK_TIMEOUT = float(os.environ.get("JUICED_WEBHOOK_TIMEOUT", "10"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
