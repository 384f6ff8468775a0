"""Amends settings: embedded SQLite by default; environment variables switch to PostgreSQL.

Everything configurable comes from the environment (django-environ). A misconfiguration fails
at start, not at the first request.
"""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

DATA_DIR = Path(env.str("AMENDS_DATA_DIR", default=str(BASE_DIR / "var")))
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("AMENDS_DEBUG", default=False)
# The embedded default generates (and keeps) a local secret so that a fresh checkout runs;
# production sets AMENDS_SECRET_KEY.
_secret_file = DATA_DIR / "secret_key"
if "AMENDS_SECRET_KEY" in env:
    SECRET_KEY = env.str("AMENDS_SECRET_KEY")
else:
    if not _secret_file.exists():
        from django.core.management.utils import get_random_secret_key

        _secret_file.write_text(get_random_secret_key())
        _secret_file.chmod(0o600)
    SECRET_KEY = _secret_file.read_text().strip()

ALLOWED_HOSTS = env.list("AMENDS_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("AMENDS_CSRF_TRUSTED_ORIGINS", default=[])
AMENDS_BASE_URL = env.str("AMENDS_BASE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "amends.core.admin_site.AmendsAdminConfig",  # django.contrib.admin, for superusers only
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "amends.core",
    "amends.people",
    "amends.customers",
    "amends.policies",
    "amends.desk",
    "amends.watchdog",
    "amends.mail",
    "amends.feedback",
    "amends.imports",
    "amends.recovery",
    "amends.learning",
    "amends.api",
    "amends.web",
    "amends.portal",
    "amends.search",
    "amends.demo",
    "amends.bench",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",  # the Content-Security-Policy header on every response
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): signed in with a code
    "amends.web.session_idle.SessionIdleMiddleware",
    "amends.web.two_factor.TwoFactorStepMiddleware",  # between the password and the code, only that step
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",  # turns a sign-in lockout into the sign-in page that explains it
]

ROOT_URLCONF = "amends.urls"
WSGI_APPLICATION = "amends.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "amends" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "amends.web.context.workspace",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# DATABASE_URL selects PostgreSQL (postgres://user:pass@host:5432/name); the default is an
# embedded SQLite file in WAL mode with IMMEDIATE transactions, so writers queue instead of
# failing with "database is locked".
# The WAL is checkpointed at 10,000 pages (about 40 MB) rather than SQLite's 1,000 (see PERFORMANCE.md).
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": (
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000; "
        "PRAGMA foreign_keys=ON; PRAGMA wal_autocheckpoint=10000;"
    ),
}
if "DATABASE_URL" in env:
    DATABASES = {"default": env.db_url("DATABASE_URL")}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        DATABASES["default"]["OPTIONS"] = {**SQLITE_OPTIONS, **DATABASES["default"].get("OPTIONS", {})}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "amends.sqlite3",
            "OPTIONS": SQLITE_OPTIONS,
        }
    }
_engine = DATABASES["default"]["ENGINE"]
if _engine not in ("django.db.backends.sqlite3", "django.db.backends.postgresql"):
    raise environ.ImproperlyConfigured(f"DATABASE_URL: unsupported engine {_engine}; use sqlite or postgres")
if _engine == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("TEST", {"NAME": None})
# Connections are kept between requests (each web thread its own). On SQLite that also keeps each connection's
# page cache warm: a new connection a request made the queue page 26 ms at p50 on a million requests, 15 kept.
DATABASES["default"].setdefault("CONN_MAX_AGE", 600 if _engine.endswith("sqlite3") else 60)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth, sessions, security ---------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# axes' backend goes first: it refuses a locked-out account or address before the password is checked
# (with ModelBackend first a locked-out user would still get in, and no check would say so).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# The customer portal's emailed sign-in links (django-sesame): scoped to the portal, valid for
# AMENDS_PORTAL_LINK_MINUTES, usable once (a link is bound to the login's last sign-in). The portal checks a
# link itself on a POST (a person's click on "Sign in"), so mail scanners that fetch links use up nothing;
# sesame's backend is not listed here, so no link ever signs anyone in to the staff side.
SESAME_MAX_AGE = timedelta(minutes=env.int("AMENDS_PORTAL_LINK_MINUTES", default=15))
SESAME_ONE_TIME = True
if not timedelta(minutes=1) <= SESAME_MAX_AGE <= timedelta(hours=24):
    raise environ.ImproperlyConfigured("AMENDS_PORTAL_LINK_MINUTES must be between 1 and 1440")
# Sign-in throttling (django-axes): an account locks after AMENDS_SIGNIN_ACCOUNT_FAILURES failed sign-ins
# whatever the address, an address after AMENDS_SIGNIN_ADDRESS_FAILURES whatever the account; each lock
# lifts AMENDS_SIGNIN_COOLOFF_MINUTES after the last failure, or when a lead or admin unlocks the account.
AMENDS_SIGNIN_ACCOUNT_FAILURES = env.int("AMENDS_SIGNIN_ACCOUNT_FAILURES", default=10)
AMENDS_SIGNIN_ADDRESS_FAILURES = env.int("AMENDS_SIGNIN_ADDRESS_FAILURES", default=50)
if not 0 < AMENDS_SIGNIN_ACCOUNT_FAILURES <= AMENDS_SIGNIN_ADDRESS_FAILURES:
    raise environ.ImproperlyConfigured(
        "AMENDS_SIGNIN_ACCOUNT_FAILURES must be at least 1 and at most AMENDS_SIGNIN_ADDRESS_FAILURES"
    )
AXES_HANDLER = "amends.people.signin.SignInAttempts"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one locks: the account, or the address
AXES_FAILURE_LIMIT = AMENDS_SIGNIN_ACCOUNT_FAILURES  # the handler scales the address's count to this limit
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AMENDS_SIGNIN_COOLOFF_MINUTES", default=30))
AXES_RESET_ON_SUCCESS = True  # a good sign-in clears that account's failures (not the address's)
# Attempts while locked are refused without counting, so the time the sign-in page gives holds.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "amends.web.views.auth.signin_locked_out"
AXES_VERBOSE = False
# Behind N reverse proxies (AMENDS_PROXY_COUNT=N) the client's address is read from X-Forwarded-For;
# otherwise only from the connection, so that a client cannot pick the address it is counted under.
_proxies = env.int("AMENDS_PROXY_COUNT", default=0)
AXES_IPWARE_PROXY_COUNT = _proxies or None
AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR") if _proxies else ("REMOTE_ADDR",)

OTP_TOTP_ISSUER = "Amends"  # the name authenticator apps show beside the code

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"
# A session ends after this long without activity (amends.web.session_idle keeps an active one alive).
AMENDS_SESSION_IDLE_MINUTES = env.int("AMENDS_SESSION_IDLE_MINUTES", default=12 * 60)
if AMENDS_SESSION_IDLE_MINUTES < 5:
    raise environ.ImproperlyConfigured("AMENDS_SESSION_IDLE_MINUTES must be at least 5")
SESSION_COOKIE_AGE = AMENDS_SESSION_IDLE_MINUTES * 60
# How often an open workspace page asks again for its live parts (the unread count, the needs-attention board).
AMENDS_LIVE_POLL_SECONDS = env.int("AMENDS_LIVE_POLL_SECONDS", default=30)
if not 1 <= AMENDS_LIVE_POLL_SECONDS <= 3600:
    raise environ.ImproperlyConfigured("AMENDS_LIVE_POLL_SECONDS must be between 1 and 3600")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# A strict Content-Security-Policy (django-csp): scripts and styles only from our own static files, no
# inline script, style or eval anywhere (htmx runs with allowEval off: base.html's htmx-config), nothing may
# frame the site. `data:` images are the favicon and the admin's and API docs' icons.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
SECURE_REFERRER_POLICY = "same-origin"
_https = env.bool("AMENDS_HTTPS", default=False)
SESSION_COOKIE_SECURE = _https
CSRF_COOKIE_SECURE = _https
SECURE_SSL_REDIRECT = _https
SECURE_HSTS_SECONDS = 31536000 if _https else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = _https
SECURE_HSTS_PRELOAD = _https
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if _https else None

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = env.str("AMENDS_TIME_ZONE", default="Europe/London")
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on every request without it
# Uploaded and received files (raw inbound mail, attachments) under the data directory.
MEDIA_ROOT = Path(env.str("AMENDS_MEDIA_ROOT", default=str(DATA_DIR / "media")))
MEDIA_URL = "media/"  # never served publicly: staff views hand files out after a permission check
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
# Source maps (swagger-ui ships large ones) are for developers: compressing them costs most of collectstatic.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [
    "jpg", "jpeg", "png", "gif", "webp", "zip", "gz", "tgz", "bz2", "tbz", "xz", "br", "swf", "flv", "woff", "woff2",
    "map",
]

# --- Email ----------------------------------------------------------------------------------
# Outbound mail goes through the outbox; the worker hands it to this backend. The embedded
# default writes messages to files under var/mail so nothing leaves the machine by accident.
# Every SMTP call has a timeout, so a server that accepts and never answers cannot hang delivery;
# `?timeout=SECONDS` on the URL sets it (django-environ would leave it in an unused OPTIONS dict).
EMAIL_TIMEOUT: float = 20
if "AMENDS_EMAIL_URL" in env:  # e.g. smtp://user:pass@host:587 or smtp+tls://...?timeout=10
    _email = env.email_url("AMENDS_EMAIL_URL")
    _email_options = {k.lower(): v for k, v in _email.pop("OPTIONS", {}).items()}
    _timeout = _email_options.pop("timeout", EMAIL_TIMEOUT)
    if _email_options:
        raise environ.ImproperlyConfigured(
            f"AMENDS_EMAIL_URL: unknown option(s) {', '.join(sorted(_email_options))}; the only one is ?timeout=SECONDS"
        )
    try:
        EMAIL_TIMEOUT = float(_timeout)
    except ValueError:
        EMAIL_TIMEOUT = 0
    if not EMAIL_TIMEOUT > 0:
        raise environ.ImproperlyConfigured(f"AMENDS_EMAIL_URL: ?timeout={_timeout} is not a number of seconds above 0")
    vars().update(_email)
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(DATA_DIR / "mail")
DEFAULT_FROM_EMAIL = env.str("AMENDS_FROM_EMAIL", default="Amends <desk@amends.localhost>")
# Where the confirmation of each remedy in money (credit, refund, a gift with a value) is sent, apart from the
# customer's notice (story 002's separate confirmation from accounting): accounting books it and writes to them.
AMENDS_ACCOUNTING_EMAIL = env.str("AMENDS_ACCOUNTING_EMAIL", default="accounting@amends.localhost")
AMENDS_MESSAGE_ID_DOMAIN = env.str("AMENDS_MESSAGE_ID_DOMAIN", default="amends.localhost")

# --- Background work ------------------------------------------------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
AMENDS_TICK_SECONDS = env.int("AMENDS_TICK_SECONDS", default=30)
# Each webhook POST's connect and read timeouts: a silent receiver costs the delivery loop this, never the tick.
AMENDS_WEBHOOK_TIMEOUT_SECONDS = env.float("AMENDS_WEBHOOK_TIMEOUT_SECONDS", default=10.0)
if not 0 < AMENDS_WEBHOOK_TIMEOUT_SECONDS <= 60:
    raise environ.ImproperlyConfigured("AMENDS_WEBHOOK_TIMEOUT_SECONDS: give a number of seconds above 0, at most 60")
# Set only by `amends bench` for its web server: mounts the one-row floor endpoint at /bench/.
AMENDS_BENCH_FLOOR = env.bool("AMENDS_BENCH_FLOOR", default=False)

# --- Email in -------------------------------------------------------------------------------
# Each team mailbox (amends.mail.Mailbox) is polled by the worker's mail loop every
# AMENDS_MAIL_POLL_SECONDS; every IMAP call times out after AMENDS_IMAP_TIMEOUT seconds.
# AMENDS_IMAP_CA_FILE: a CA bundle to trust for STARTTLS/SSL (a private CA); empty: the system's.
AMENDS_MAIL_POLL_SECONDS = env.float("AMENDS_MAIL_POLL_SECONDS", default=60.0)
AMENDS_IMAP_TIMEOUT = env.float("AMENDS_IMAP_TIMEOUT", default=20.0)
AMENDS_IMAP_CA_FILE = env.str("AMENDS_IMAP_CA_FILE", default="")
AMENDS_MAIL_MAX_MESSAGE_BYTES = env.int("AMENDS_MAIL_MAX_MESSAGE_BYTES", default=30 * 1024 * 1024)
AMENDS_MAIL_MAX_ATTACHMENT_BYTES = env.int("AMENDS_MAIL_MAX_ATTACHMENT_BYTES", default=10 * 1024 * 1024)
if not (AMENDS_MAIL_POLL_SECONDS > 0 and AMENDS_IMAP_TIMEOUT > 0):
    raise environ.ImproperlyConfigured("AMENDS_MAIL_POLL_SECONDS and AMENDS_IMAP_TIMEOUT must be above 0 seconds")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("AMENDS_LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
