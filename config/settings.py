"""Settings for Couples Rehab.

Every value comes from the environment with a default that works on a laptop:
no DATABASE_URL means SQLite in ./data, no REDIS_URL means Celery's filesystem
broker, so `make run` needs no servers. README.md lists every variable.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    # An empty value (NAME= in a .env file) means "use the default", as for the others.
    return os.environ.get(name) or default


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "insecure-development-key-only-for-debug-mode"
# The audit log's hash chain is keyed with this (HMAC-SHA256), kept out of the database: a
# copy of the database, or write access to it, is not enough to rewrite the log so that
# `audit_verify` still passes. Required when DEBUG is off; back it up with the database.
AUDIT_CHAIN_KEY = env_str("AUDIT_CHAIN_KEY")
if not AUDIT_CHAIN_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("AUDIT_CHAIN_KEY must be set when DEBUG is off")
    AUDIT_CHAIN_KEY = "insecure-development-audit-key-only-for-debug-mode"
# The placeholders of .env.example are refused: a copied example file is not a deployment.
PLACEHOLDER_SECRETS = {
    "replace-with-the-output-of-secrets-token-urlsafe-50-before-first-use",
    "replace-with-another-output-of-secrets-token-urlsafe-50-before-first-use",
}
if not DEBUG and {SECRET_KEY, AUDIT_CHAIN_KEY} & PLACEHOLDER_SECRETS:
    raise ImproperlyConfigured(
        "SECRET_KEY and AUDIT_CHAIN_KEY still hold .env.example's placeholders: set real ones "
        "(python -c 'import secrets; print(secrets.token_urlsafe(50))')."
    )

DATA_DIR = Path(env_str("DATA_DIR", str(BASE_DIR / "data")))
SITE_URL = env_str("SITE_URL", "http://localhost:8000").rstrip("/")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
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
    "crispy_forms",
    "crispy_bootstrap5",
    "bootstrap",
    "couples",
    "audit",
    "goals",
    "sessions.apps.SessionsConfig",
    "insurance",
    "triage",
    "measures",
    "plans",
    "notes",
    "records",
    "pages",  # composes the apps above; last, so its message kinds register after theirs
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "couples.middleware.MalformedInputMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "couples.middleware.SessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "couples.middleware.MFARequiredMiddleware",
    "couples.middleware.PermissionDeniedMiddleware",
    "couples.middleware.NoStoreMiddleware",
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
                "django.template.context_processors.csp",
                "couples.context_processors.navigation",
            ],
            # The site's own date and time filters (`moment`, `relative`, `zone_label`), as
            # built in as Django's `date` and `time`: every page and email shows times.
            # common/ is a plain package, not an app, so it has no templatetags to load.
            "builtins": ["common.time_filters"],
        },
    },
]

# Database: SQLite in DATA_DIR unless DATABASE_URL points elsewhere (PostgreSQL in
# production and CI). Persistent connections: a new PostgreSQL connection per request
# makes pages about ten times slower.
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
            conn_health_checks=True,
        )
    }
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "db.sqlite3",
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
# The cache is in the database, with or without Redis. allauth keeps login rate-limit counters
# and "TOTP code already used" records in it: they must be shared by every web process and
# must survive the broker going down, or signing in would fail while Redis is away. Every
# request needs the database already, so the cache adds no new way to fail. Redis is Celery's
# broker only. Migration couples/0012 creates the table.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "cache_entries",
    }
}

AUTH_USER_MODEL = "couples.User"
AUTHENTICATION_BACKENDS = ["couples.backends.ClinicAuthenticationBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# NIST SP 800-63B: a minimum length, a check against common and breached
# passwords, no composition rules.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("PASSWORD_MIN_LENGTH", 12)},
    },
    {"NAME": "couples.validators.MaximumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "couples.validators.BreachedPasswordValidator"},
]
BREACHED_PASSWORDS_FILE = env_str("BREACHED_PASSWORDS_FILE")

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "account_login"

# django-allauth: email is the login, nobody signs up (staff invite people).
# The clinic's name on its pages; everything that leaves the app (email senders and subjects,
# calendar events, the authenticator app's entry) uses the discreet name instead, which says
# nothing about treatment: lock screens and shared calendars show them to anyone nearby.
CLINIC_NAME = env_str("CLINIC_NAME", "Couples Rehab")
CLINIC_DISCREET_NAME = env_str("CLINIC_DISCREET_NAME", "Clinic Portal")

ACCOUNT_ADAPTER = "couples.adapters.AccountAdapter"
MFA_ADAPTER = "couples.adapters.MFAAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{CLINIC_DISCREET_NAME}] "
# After LOGIN_ATTEMPTS_LIMIT failures for one email the login is locked for
# LOGIN_ATTEMPTS_TIMEOUT seconds.
ACCOUNT_RATE_LIMITS = {
    # Failures count per email only: a clinic behind one address (NAT) is never locked out
    # of correct passwords by someone else's typos there.
    "login_failed": "{}/{}s/key".format(
        env_int("LOGIN_ATTEMPTS_LIMIT", 5), env_int("LOGIN_ATTEMPTS_TIMEOUT", 15 * 60)
    ),
    # Every attempt, right or wrong, counts per address: guessing across many accounts from
    # one address is slowed, while a whole clinic signing in at 9 o'clock is not.
    "login": "60/m/ip",
}
ACCOUNT_PREVENT_ENUMERATION = True
# Reauthenticate with the password (or the TOTP code), never with an emailed code.
ACCOUNT_REAUTHENTICATION_METHODS = ["password", "mfa"]
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = CLINIC_DISCREET_NAME
USERSESSIONS_TRACK_ACTIVITY = False

# Request bodies: a larger one is refused (413) before it is read
# (couples.middleware.MalformedInputMiddleware); the largest thing anyone sends is an
# insurance card image of up to 5 MB. Form fields other than files stop at 1 MB in all. A
# reverse proxy in front should refuse the same sizes (README, Production).
REQUEST_BODY_MAX_BYTES = env_int("REQUEST_BODY_MAX_BYTES", 6 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024

# Sessions: the key rotates at login (Django does it), pages log off after
# SESSION_IDLE_TIMEOUT of inactivity and after SESSION_ABSOLUTE_TIMEOUT in any case.
SESSION_IDLE_TIMEOUT = env_int("SESSION_IDLE_TIMEOUT", 15 * 60)
SESSION_ABSOLUTE_TIMEOUT = env_int("SESSION_ABSOLUTE_TIMEOUT", 12 * 60 * 60)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_ENGINE = "django.contrib.sessions.backends.db"
# Flash messages ("Thank you for being honest…", goal titles) stay on the server with the
# session, never in a cookie (a signed cookie is readable).
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# Security headers and cookies. HTTPS is assumed outside DEBUG.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 63072000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
TRUSTED_PROXY_COUNT = ALLAUTH_TRUSTED_PROXY_COUNT
if TRUSTED_PROXY_COUNT:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "America/New_York"
# "December 7, 2026 at 6:00 PM" rather than Django's "Dec. 7, 2026, 6 p.m.": config/formats/en.
FORMAT_MODULE_PATH = "config.formats"
# The zones offered first wherever someone picks one, labelled "Eastern Time (ET)" and so on;
# every other zone follows, grouped by region (couples/admin_forms.py).
CLINIC_TIME_ZONES = env_list(
    "CLINIC_TIME_ZONES",
    "America/New_York,America/Chicago,America/Denver,America/Phoenix,America/Los_Angeles,"
    "America/Anchorage,Pacific/Honolulu",
)
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# Built into the image by collectstatic, so kept apart from DATA_DIR (a runtime volume).
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    # Insurance card images: outside MEDIA_ROOT and with no URL, so they are only ever
    # served by a view that checks permission.
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": DATA_DIR / "private", "base_url": None},
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Email: printed to the console on a laptop, SMTP when EMAIL_URL-style settings exist.
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", f"{CLINIC_DISCREET_NAME} <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
_email_host = env_str("EMAIL_HOST")
if _email_host:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": _email_host,
                "port": env_int("EMAIL_PORT", 587),
                "username": env_str("EMAIL_HOST_USER"),
                "password": env_str("EMAIL_HOST_PASSWORD"),
                "use_tls": env_bool("EMAIL_USE_TLS", True),
                # Every SMTP operation gives up after this many seconds: a mail server that
                # accepts and then never answers must not hold a worker until Celery's time
                # limit (the row is retried later, as for any temporary failure).
                "timeout": env_int("EMAIL_TIMEOUT", 10),
            },
        }
    }
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
# Another mail backend by dotted path (the delivery tests and the benchmark use a file sink).
_mail_backend = env_str("MAIL_BACKEND")
if _mail_backend:
    MAILERS = {"default": {"BACKEND": _mail_backend}}

# Celery: Redis when REDIS_URL is set, otherwise kombu's filesystem transport, which
# carries tasks between separate web, worker and beat processes without a server.
CELERY_BROKER_DIR = DATA_DIR / "broker"
# A web request that publishes a task (an invitation) must not hang while the broker is down:
# three quick tries, then kombu.exceptions.OperationalError, and the caller falls back
# (couples.services.accounts). kombu's Redis transport ignores the connection timeout, so the
# transport options bound its connect and its reads too: without them a Redis that accepts
# the connection but never answers holds the request for ever.
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # An unacknowledged task returns to the queue after this long (a worker died with it).
        # Nothing is ever scheduled further ahead than this: the minute tick finds due rows.
        "visibility_timeout": 3600,
        "socket_connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT,
        # A worker's BRPOP waits 1 second (kombu's brpop_timeout), well within this.
        "socket_timeout": CELERY_BROKER_CONNECTION_TIMEOUT,
    }
else:
    CELERY_BROKER_URL = "filesystem://"
    for _folder in ("queue", "processed", "control"):
        (CELERY_BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        # Broadcast messages (inspect, ping) too; the default is ./control in the cwd.
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fixup closes the database connection around every task (it ignores
# CONN_MAX_AGE): a new PostgreSQL connection per email cost ~15 ms of server CPU. Reuse it for
# this many tasks; config/celery_app.py still drops a broken or too old one before each task.
CELERY_DB_REUSE_MAX = 1000
# No task may run for ever: soft limit raises inside the task, hard limit kills the process.
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 90
# Keep trying to reach the broker (Redis restarted) instead of giving up after 100 tries.
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")

CLINIC_ON_CALL_PHONE = env_str("CLINIC_ON_CALL_PHONE", "+1 555 010 0100")
# Who is alerted when an urgent triage item (a positive safety screen) is not acknowledged
# within TRIAGE_ESCALATE_MINUTES: the active user with this email; empty, or naming nobody
# active, every active staff superuser (triage/notifications.py).
CLINIC_ON_CALL_EMAIL = env_str("CLINIC_ON_CALL_EMAIL", "")
TRIAGE_ESCALATE_MINUTES = env_int("TRIAGE_ESCALATE_MINUTES", 30)

# /healthz answers 503 when a message has been due and unsent for longer than this (the mail
# server down, the workers stopped, a queue lost); the admin's index says so too.
OUTBOX_STALL_SECONDS = env_int("OUTBOX_STALL_SECONDS", 300)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # The development server's request lines, as gunicorn's (config/gunicorn.conf.py): no
    # query strings, no calendar tokens.
    "filters": {"request_line": {"()": "common.logs.RequestLineFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.server": {
            "handlers": ["console"],
            "filters": ["request_line"],
            "level": "INFO",
            "propagate": False,
        },
    },
}

# Virtual sessions: the telehealth service's room URL prefix (each session adds an
# unguessable room id) and the weekly IOP hours each partner should reach (ASAM 2.1: 9).
TELEHEALTH_BASE_URL = env_str("TELEHEALTH_BASE_URL", "https://meet.example.org/couples-rehab/")
IOP_WEEKLY_HOURS_TARGET = env_int("IOP_WEEKLY_HOURS_TARGET", 9)
# Session notes: the format (DAP, SOAP or BIRP; notes.apps checks it), hours to sign them in.
NOTE_FORMAT = env_str("NOTE_FORMAT", "DAP").upper()
NOTE_SIGN_HOURS = env_int("NOTE_SIGN_HOURS", 72)
PLAN_REVIEW_DAYS = env_int("PLAN_REVIEW_DAYS", 30)  # from a plan's signing to its review
# How early the Join button opens before a session starts.
JOIN_OPENS_MINUTES_BEFORE = env_int("JOIN_OPENS_MINUTES_BEFORE", 10)
