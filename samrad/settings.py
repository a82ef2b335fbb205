"""Samråd's one settings module.

The environment is read here and nowhere else; code reads ``settings.X``.
"""

import datetime
import json
import os
import re
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name, default):
    """Read a boolean; anything but "True"/"False" is refused so a typo fails loudly."""
    value = os.environ.get(name, str(default))
    if value not in ("True", "False"):
        raise ImproperlyConfigured(f"{name} must be True or False, not {value!r}")
    return value == "True"


def envint(name, default, *, minimum=0):
    """Read a whole number of at least ``minimum``; a typo or a negative count fails naming the variable."""
    value = os.environ.get(name, str(default))
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None
    if number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {number}")
    return number


def envlist(name, default):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def envcache(name):
    """The default cache: this process's memory, or the Redis server that ``name`` (REDIS_URL) gives.

    Memory is the embedded default, nothing to install: enough for one process. Several processes, on one
    machine or many, share Redis, so that what one worker put in the cache (a feed's events, a password
    reset counter) every other finds, and a fresh worker's first feed is not serialised anew.
    """
    if os.environ.get("CACHE_URL"):
        # The variable's earlier name: a Redis named there and silently ignored would split the cache again.
        raise ImproperlyConfigured(f"CACHE_URL is now called {name}: set {name} instead and remove CACHE_URL")
    url = os.environ.get(name, "")
    if not url:
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "OPTIONS": {"MAX_ENTRIES": 5000}}
    if url.startswith(("redis://", "rediss://")):
        return {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            # Our keys apart from anything else kept in the same Redis database.
            "KEY_PREFIX": "samrad",
            # A Redis that does not answer holds a request for at most two seconds before it fails.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    raise ImproperlyConfigured(f"{name} must be empty or a redis:// or rediss:// URL, not {url!r}")


def envproviders(name):
    """The OpenID Connect providers: a JSON list, one object per organisation (README, "Single sign-on").

    Each names its ``id`` (in its URLs), the ``name`` on its button, its ``issuer``, ``client_id`` and
    ``client_secret``, and the ``email_domains`` whose addresses it may vouch for; ``scopes`` is optional.
    Anything missing or malformed refuses to start, naming the provider and the field.
    """
    raw = os.environ.get(name, "").strip()
    if not raw:
        return []
    try:
        items = json.loads(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a JSON list of providers") from None
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise ImproperlyConfigured(f"{name} must be a JSON list of objects, one per provider")
    providers = []
    for number, item in enumerate(items, start=1):
        label = f"{name}, provider {item.get('id') or number}"
        for field in ("id", "name", "issuer", "client_id", "client_secret"):
            if not isinstance(item.get(field), str) or not item[field].strip():
                raise ImproperlyConfigured(f"{label}: {field!r} must be given")
        if not re.fullmatch(r"[a-z0-9-]+", item["id"]):
            raise ImproperlyConfigured(f"{label}: 'id' may hold only a-z, 0-9 and -")
        domains = item.get("email_domains")
        if not isinstance(domains, list) or not domains or not all(isinstance(d, str) and d for d in domains):
            raise ImproperlyConfigured(f"{label}: 'email_domains' must list the e-mail domains it vouches for")
        scopes = item.get("scopes", "openid email profile")
        if not {"openid", "email"} <= set(str(scopes).split()):
            raise ImproperlyConfigured(f"{label}: 'scopes' must include openid and email")
        providers.append(
            {
                "id": item["id"],
                "name": item["name"],
                "issuer": item["issuer"].rstrip("/"),
                "client_id": item["client_id"],
                "client_secret": item["client_secret"],
                "scopes": " ".join(str(scopes).split()),
                "email_domains": [domain.strip().lower() for domain in domains],
            }
        )
    if len({provider["id"] for provider in providers}) != len(providers):
        raise ImproperlyConfigured(f"{name}: every provider needs its own 'id'")
    return providers


DEBUG = envbool("DEBUG", False)
# PRODUCTION=True refuses to start without what a real deployment needs, and turns on HTTPS-only settings.
PRODUCTION = envbool("PRODUCTION", False)
DEVELOPMENT_KEY = "insecure-local-development-key-do-not-use-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY", DEVELOPMENT_KEY)
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost")
# Absolute address of the app, used for links that leave the site (the .ics file).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "coordination.apps.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "crispy_forms",
    "crispy_bootstrap5",
    "bootstrap",
    "coordination",
]

# Each earns its place on every request (reviewed for issue 19; `manage.py benchmark` measures the whole stack as
# its floor): a header or a check that must hold for every response, or state every page reads.
MIDDLEWARE = [
    # HSTS, the HTTPS redirect, nosniff and the referrer policy (check --deploy asks for them).
    "django.middleware.security.SecurityMiddleware",
    # Static files from the app itself, compressed and cached forever (no CDN, no second server); it answers
    # /static/ before anything below runs.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Swedish unless the person chose English; needs the session's cookie jar, and must run before any text.
    "coordination.middleware.ChosenLanguageMiddleware",
    # ALLOWED_HOSTS and the trailing slash of typed addresses.
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Ends a session idle for SESSION_IDLE_HOURS; a dictionary lookup on most requests.
    "coordination.middleware.IdleSessionMiddleware",
    # Marks a session that gave its second factor (django-otp), which the next one reads.
    "django_otp.middleware.OTPMiddleware",
    # Where two-factor login is required, nothing but its set-up until it is given; off by default.
    "coordination.middleware.TwoFactorRequiredMiddleware",
    # The "saved" and "refused" messages after a post (post/redirect/get).
    "django.contrib.messages.middleware.MessageMiddleware",
    # X-Frame-Options: DENY besides the CSP's frame-ancestors, for the browsers of Edge's IE mode, which some
    # public-sector desktops still open intranet links in and which read only this header.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # The Content-Security-Policy: no script, style or frame but the app's own.
    "csp.middleware.CSPMiddleware",
    # Permissions-Policy, and no-store on every page a logged-in user gets (the parties' positions).
    "coordination.middleware.PrivacyHeadersMiddleware",
    # Last, so that it turns a refused login anywhere above into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "samrad.urls"

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
                "django.template.context_processors.i18n",
                "coordination.context_processors.user_parties",
            ],
        },
    },
]

WSGI_APPLICATION = "samrad.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        # Each web process keeps its connection this many seconds (0: one per request), checked before reuse
        # so a connection the database or a proxy has closed is replaced instead of failing the request.
        conn_max_age=envint("CONN_MAX_AGE", 60),
        conn_health_checks=envbool("CONN_HEALTH_CHECKS", True),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A web process answers several requests at once (threaded workers). SQLite lets one writer in at a time:
    # a transaction that began reading and then writes fails at once with "database is locked" when another
    # wrote meanwhile, so each transaction takes the write lock when it begins and waits up to 20 s for it.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 20})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# What is worth keeping between requests and processes (the feed, the password reset counters): in memory,
# or in Redis when REDIS_URL is set (docs/operations.md, "Scaling out").
CACHES = {"default": envcache("REDIS_URL")}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "my_meetings"
LOGOUT_REDIRECT_URL = "login"
# Axes first: it refuses a locked-out account or client before the password is even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Checks no password: the session of a user its provider vouched for is marked by it (coordination.sso).
    "coordination.sso.SingleSignOnBackend",
]

# Single sign-on with each organisation's own identity provider (OpenID Connect, README "Single sign-on").
# A person is matched by the e-mail address their provider has verified, in a domain that provider vouches
# for; nobody gets an account from it. With LOCAL_PASSWORDS_FOR_SSO_USERS=False, whoever has an address in
# such a domain logs in through the provider only: no password login, no password reset mail.
OIDC_PROVIDERS = envproviders("OIDC_PROVIDERS")
LOCAL_PASSWORDS_FOR_SSO_USERS = envbool("LOCAL_PASSWORDS_FOR_SSO_USERS", True)
OIDC_TIMEOUT = 10  # seconds for each call to a provider (discovery, keys, token)

# Failed logins are counted for each account and client address together: LOGIN_FAILURE_LIMIT failures
# for one name from one client lock that pair until the cool-off has passed, so nobody can lock a person
# out from their own client. Counted for the account across all clients (coordination.security.account_login_wait),
# failures never lock; after LOGIN_ACCOUNT_DELAY_AFTER of them within LOGIN_ACCOUNT_WINDOW each further
# try waits, from the last failure, LOGIN_ACCOUNT_DELAY_FIRST, doubling with every failure up to
# LOGIN_ACCOUNT_DELAY_MAX. A failed two-factor code counts as a failed login.
AXES_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=envint("LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Every failure as its own row (username, client, time): what the count across clients is made of.
AXES_ENABLE_ACCESS_FAILURE_LOG = True
LOGIN_ACCOUNT_DELAY_AFTER = envint("LOGIN_ACCOUNT_DELAY_AFTER", 20, minimum=1)
LOGIN_ACCOUNT_DELAY_FIRST = datetime.timedelta(seconds=5)
LOGIN_ACCOUNT_DELAY_MAX = datetime.timedelta(minutes=envint("LOGIN_ACCOUNT_DELAY_MAX_MINUTES", 15, minimum=1))
# Failures older than this are forgotten (and their rows deleted).
LOGIN_ACCOUNT_WINDOW = datetime.timedelta(hours=24)
AXES_RESET_ON_SUCCESS = True
# Password reset requests an hour, per address typed and per client; more get the same page and no mail.
PASSWORD_RESET_LIMIT_PER_ADDRESS = envint("PASSWORD_RESET_LIMIT_PER_ADDRESS", 3, minimum=1)
PASSWORD_RESET_LIMIT_PER_CLIENT = envint("PASSWORD_RESET_LIMIT_PER_CLIENT", 10, minimum=1)
# Every reset request is answered after this long, so that writing the mail for a known address cannot be timed.
PASSWORD_RESET_ANSWER_SECONDS = 0.25
AXES_LOCKOUT_CALLABLE = "coordination.views.account.locked_out"
AXES_USERNAME_CALLABLE = "coordination.security.lockout_username"
# The client address. X-Forwarded-For can be written by anyone, so it is read only when
# TRUSTED_PROXY_COUNT says how many proxies of our own stand in front of the app; each appends the
# address it received from, so the client is that many entries from the right and anything further
# left is ignored. With 0 (no proxy) the connection's own address is used.
TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", 0)
if TRUSTED_PROXY_COUNT:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    # django-ipware counts the proxies listed in the header: the nearest one is REMOTE_ADDR, not listed.
    AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXY_COUNT - 1
    AXES_IPWARE_PROXY_ORDER = "left-most"
    # Not strict: a header the client already filled in makes the chain longer, and the client is
    # still found counting from the right instead of the whole header being dropped.
    IPWARE_STRICT = False
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)

# Two-factor login with a TOTP app is open to everyone; with this on, coordinators and secretaries
# (who confirm meetings and keep the record) cannot use the app until they have set it up.
TWO_FACTOR_REQUIRED_FOR_COORDINATORS = envbool("TWO_FACTOR_REQUIRED_FOR_COORDINATORS", False)
OTP_TOTP_ISSUER = "Samråd"

# A session ends after this long without a request. Activity restarts the clock, but at most once per
# SESSION_RENEW_SECONDS (coordination.middleware.IdleSessionMiddleware): saving the session on every
# request would cost three writes on every page.
# Guests (models.Guest): their personal link works until this many days after the meeting's end; the
# one-time code mailed on first use from a browser for GUEST_CODE_MINUTES; GUEST_CODE_ATTEMPTS wrong
# codes in a row lock the link for GUEST_LOCK_MINUTES.
GUEST_LINK_DAYS_AFTER = envint("GUEST_LINK_DAYS_AFTER", 14)
GUEST_CODE_MINUTES = envint("GUEST_CODE_MINUTES", 10, minimum=1)
GUEST_CODE_ATTEMPTS = envint("GUEST_CODE_ATTEMPTS", 5, minimum=1)
GUEST_LOCK_MINUTES = envint("GUEST_LOCK_MINUTES", 15, minimum=1)

SESSION_IDLE_HOURS = envint("SESSION_IDLE_HOURS", 8, minimum=1)
SESSION_COOKIE_AGE = SESSION_IDLE_HOURS * 3600
SESSION_RENEW_SECONDS = 300

LANGUAGE_CODE = "sv"
LANGUAGES = [("sv", _("Swedish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "coordination" / "locale"]
TIME_ZONE = "Europe/Stockholm"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]

# Uploaded documents: outside the static and public folders, reachable only through the download view.
DOCUMENTS_ROOT = Path(os.environ.get("DOCUMENTS_ROOT", BASE_DIR / "documents"))
DOCUMENT_MAX_BYTES = envint("DOCUMENT_MAX_MB", 25, minimum=1) * 1024 * 1024
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    # A shared filesystem, or another backend (e.g. an S3-compatible bucket) when scaled out.
    "documents": {"BACKEND": "coordination.documents.DocumentStorage"},
}
# Everything but files in a request body. The largest form is a position (20,000 characters, some 240 kB
# URL-encoded) and the most fields the answer form's two per time (a meeting has at most 200 times).
# A bigger request is refused with 400 before any view sees it.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
# The size limit is checked chunk by chunk as the upload streams in, before the file is written anywhere.
FILE_UPLOAD_HANDLERS = [
    "coordination.documents.SizeLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Mail. With EMAIL_HOST set, Samråd sends through that SMTP server; without it (a local run) every
# message is written as a file under sent-mail/ for a developer to read.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = envint("EMAIL_PORT", 587, minimum=1)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = 20
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
else:
    EMAIL_BACKEND = "coordination.mail_backends.EmlFileBackend"
    EMAIL_FILE_PATH = BASE_DIR / "sent-mail"
# Notices a person chose to get as a digest wait at most this long, and come at most this often (per meeting).
NOTICE_DIGEST_HOURS = envint("NOTICE_DIGEST_HOURS", 24, minimum=1)
# The domain of every Message-ID; empty takes the host name of SITE_URL.
MAIL_MESSAGE_ID_DOMAIN = os.environ.get("MAIL_MESSAGE_ID_DOMAIN", "")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Samråd <samrad@localhost>")
# Who answers questions about the service: shown in the accessibility statement and the privacy page.
CONTACT_EMAIL = os.environ.get("CONTACT_EMAIL", "samrad@localhost")
SERVICE_OWNER = os.environ.get("SERVICE_OWNER", "Uppsala kommun")
# The ORGANIZER of every invite: the reply mailbox where calendar clients send Accept/Decline,
# and the IMAP account through which Samråd reads it (manage.py read_replies).
CALENDAR_ORGANIZER_EMAIL = os.environ.get("CALENDAR_ORGANIZER_EMAIL", "svar@samrad.localhost")
REPLY_IMAP_HOST = os.environ.get("REPLY_IMAP_HOST", "")
REPLY_IMAP_PORT = envint("REPLY_IMAP_PORT", 993, minimum=1)
REPLY_IMAP_USER = os.environ.get("REPLY_IMAP_USER", "")
REPLY_IMAP_PASSWORD = os.environ.get("REPLY_IMAP_PASSWORD", "")
REPLY_IMAP_SSL = envbool("REPLY_IMAP_SSL", True)
REPLY_IMAP_TIMEOUT = 20  # seconds: a mailbox that stops answering ends the round instead of hanging it

SESSION_COOKIE_HTTPONLY = True

# Security events (logins, logouts, failures, lockouts, password and two-factor changes) go to their
# own logger, one line each with the user, the client address and the time; never a password or a code.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"security": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"security": {"class": "logging.StreamHandler", "formatter": "security"}},
    "loggers": {
        "samrad.security": {"handlers": ["security"], "level": "INFO", "propagate": True},
        # Axes would otherwise repeat every attempt, with its own wording, at INFO.
        "axes": {"level": "WARNING"},
    },
}
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
# Everything comes from the app itself: no inline script or style, no other origin, no frames.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],  # Bootstrap draws its form controls' marks as data: SVGs
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
    }
}
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"

if PRODUCTION:
    problems = []
    if DEBUG:
        problems.append("DEBUG must be False")
    if SECRET_KEY == DEVELOPMENT_KEY or len(SECRET_KEY) < 50:
        problems.append("SECRET_KEY must be set to a random value of at least 50 characters")
    if "ALLOWED_HOSTS" not in os.environ:
        problems.append("ALLOWED_HOSTS must name the site's host names")
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        problems.append("DATABASE_URL must point at PostgreSQL")
    # Every client would have the proxy's address: one lockout for a name would hold for everyone.
    BEHIND_TLS_PROXY = envbool("BEHIND_TLS_PROXY", False)
    if BEHIND_TLS_PROXY and not TRUSTED_PROXY_COUNT:
        problems.append(
            "BEHIND_TLS_PROXY=True needs TRUSTED_PROXY_COUNT set to the number of proxies in front of the app"
            " (with 0, every client has the proxy's address)"
        )
    problems += [
        f"OIDC_PROVIDERS: the issuer of {provider['id']!r} must be an https:// address"
        for provider in OIDC_PROVIDERS
        if not provider["issuer"].startswith("https://")
    ]
    if problems:
        raise ImproperlyConfigured("PRODUCTION=True, but " + "; ".join(problems) + ".")
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
    # A load balancer asks the app directly over plain HTTP; a redirect would read as "unhealthy".
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    # Hashed names (cached for a year by browsers) with gzip and brotli variants, made by collectstatic.
    STORAGES["staticfiles"] = {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}
    # Behind a proxy that terminates TLS and says so in X-Forwarded-Proto (set only if the proxy strips it).
    if BEHIND_TLS_PROXY:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
