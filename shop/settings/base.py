"""Settings shared by every environment. Every value comes from the environment
(django-environ); the environment modules (`dev`, `test`, `prod`) only set what
differs between them."""

from pathlib import Path

import environ

from core.cache import redis_backend

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-insecure-key-change-me")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])

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
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from our static files, not a CDN
    # our apps, in dependency order (a lower app never imports a higher one)
    "catalog",
    "profiles",
    "checkout",
    "recommend",
    "marketing",
    "assistant",
    "shop",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.ContentSecurityPolicyMiddleware",  # SECURE_CSP on every response (docs/reliability.md)
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "shop.i18n.ShopLocaleMiddleware",  # the page's language: /zh-hans/ prefix; the API: Accept-Language (docs/i18n.md)
    "django.middleware.common.CommonMiddleware",
    "core.middleware.ControlCharactersMiddleware",  # NUL and other control characters: 400 (docs/reliability.md)
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "shop.i18n.PreferredLanguageMiddleware",  # a Chinese reader on an unprefixed page: to /zh-hans/
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "recommend.middleware.AfterResponseMiddleware",  # refreshes a served list after the response
]

# Content-Security-Policy (core.middleware; Django 6's setting name). Scripts and style sheets come
# only from our own static files: no inline <script>, <style> or on* handler (static/js/shop.js binds
# those). style attributes stay allowed (style-src-attr): they cannot run script, and every image,
# font and connection is still limited to this site. Pictures are drawn SVG, some as data: URIs.
SECURE_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "style-src-attr": ["'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'self'"],
}
SECURE_CONTENT_TYPE_NOSNIFF = True  # X-Content-Type-Options: nosniff (Django's default, said here)
SECURE_REFERRER_POLICY = "same-origin"  # Referrer-Policy (Django's default, said here)

ROOT_URLCONF = "shop.urls"
WSGI_APPLICATION = "shop.wsgi.application"
ASGI_APPLICATION = "shop.asgi.application"

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
                "shop.context_processors.site",
                "checkout.context_processors.cart_summary",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = redis_backend(
    {"default": env.cache("CACHE_URL", default="locmemcache://shop")}
)  # one Redis client per pool (core/cache.py)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en"  # British formats: shop/formats/en (FORMAT_MODULE_PATH)
FORMAT_MODULE_PATH = ["shop.formats"]
TIME_ZONE = "Europe/London"
USE_I18N = True
# English is served unprefixed, Simplified Chinese under /zh-hans/ (docs/i18n.md).
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "shop_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="shop@example.com")
# marketing e-mails: absolute links (tracking, unsubscribe) point here; a pause
# between two mails of a batch (seconds) keeps a small SMTP relay happy
MARKETING_SITE_URL = env("MARKETING_SITE_URL", default="http://127.0.0.1:8000")
MARKETING_SEND_DELAY = env.float("MARKETING_SEND_DELAY", default=0.0)
# abandoned-cart reminders (marketing/recovery.py, docs/marketing.md "Abandoned carts"):
# delays after the cart's last change (m, h, d, w), the hold-out share (0 to
# 0.5, never reminded), the longest idle time at which a cart is still first
# reminded, and the report's recovery window in days; checked at start-up
CART_REMINDER_SCHEDULE = env.list("CART_REMINDER_SCHEDULE", default=["1h", "1d", "5d"])
CART_REMINDER_HOLDOUT_SHARE = env.float("CART_REMINDER_HOLDOUT_SHARE", default=0.15)
CART_REMINDER_MAX_IDLE = env("CART_REMINDER_MAX_IDLE", default="7d")
CART_REMINDER_REPORT_DAYS = env.int("CART_REMINDER_REPORT_DAYS", default=7)

# --- the data set and model artifacts --------------------------------------
DATASET_PATH = env.path("DATASET_PATH", default=BASE_DIR / "data" / "online_retail.csv.gz")
ARTIFACTS_DIR = env.path("ARTIFACTS_DIR", default=BASE_DIR / "artifacts")
# The demo switch "shop as a real customer": on in dev only.
DEMO_LOGIN_ENABLED = env.bool("DEMO_LOGIN_ENABLED", default=False)

# --- REST API -----------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    # JSON refusing control characters (core/parsers.py, docs/reliability.md)
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 24,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        # atomic counts, and no limit rather than no API while Redis is down (core/throttling.py)
        "core.throttling.AnonRateThrottle",
        "core.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("THROTTLE_ANON", default="120/min"),
        "user": env("THROTTLE_USER", default="600/min"),
        "login": env("THROTTLE_LOGIN", default="10/min"),  # per IP+username
        "login_ip": env("THROTTLE_LOGIN_IP", default="30/min"),  # per IP, across usernames
        "events": env("THROTTLE_EVENTS", default="120/min"),
        "assistant": env("THROTTLE_ASSISTANT", default="30/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Shop API",
    "DESCRIPTION": "Catalog, cart, checkout, orders, events and recommendations.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # /api/docs/ works offline: Swagger UI's JS and CSS come from the pinned
    # drf-spectacular-sidecar package through our static files
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # every operation's 400/401/403/404/429 and the error shapes (shop/openapi.py, docs/reliability.md)
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "shop.openapi.errors_documented"],
}

# --- Celery ---------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="redis://127.0.0.1:6379/0")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=None)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True  # a killed worker's task is redelivered, not lost
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {"recommend.tasks.*": {"queue": "ml"}}
CELERY_TIMEZONE = TIME_ZONE
# A Redis that hangs (rather than refuses) must not stall a request or a worker:
# connect and read timeouts on the broker's sockets (the worker's BRPOP waits 1 s,
# well inside socket_timeout), and publishing gives up after CELERY_BROKER_CONNECTION_TIMEOUT.
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=2.0)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": env.float("REDIS_SOCKET_CONNECT_TIMEOUT", default=1.0),
    "socket_timeout": env.float("CELERY_BROKER_SOCKET_TIMEOUT", default=3.0),
    "socket_keepalive": True,
    "health_check_interval": 25,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True  # a worker started while Redis is down waits for it

# --- the transactional outbox (checkout/outbox.py, docs/reliability.md) ----------
OUTBOX_RETRY_SECONDS = env.float("OUTBOX_RETRY_SECONDS", default=30.0)  # not accepted by the broker: try again after
OUTBOX_REDELIVER_SECONDS = env.float("OUTBOX_REDELIVER_SECONDS", default=600.0)  # accepted, not run: publish again
OUTBOX_MAX_ATTEMPTS = 50  # then it waits for an operator (admin: Outbox messages, "Publish again")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- serving recommendations (docs/serving.md) ---------------------------------
RECOMMEND_ENABLED = env.bool("RECOMMEND_ENABLED", default=True)  # off: pages show no recommendation slot
RECOMMEND_IN_STOCK_ONLY = True  # never recommend a product that cannot be bought now
RECOMMEND_UNIQUE_PER_PAGE = True  # a product appears in one slot of a page only
RECOMMEND_EXCLUDE_VIEWED_PRODUCT = True  # never the product the page is about
RECOMMEND_RESPECT_MUTED = True  # leave out categories the shopper muted on /profile/
RECOMMEND_MAX_PER_CATEGORY = 3  # diversity: at most this many of one category in a long list
RECOMMEND_DIVERSITY_MIN_LENGTH = 6  # lists at least this long get the category cap
RECOMMEND_SLOT_SIZE = 6  # products per slot on the pages
RECOMMEND_API_MAX_N = 50
RECOMMEND_ADDON_MAX_PRICE = "5.00"  # the checkout review's add-on costs at most this (GBP)
RECOMMEND_SEARCH_TEXT_WEIGHT = 0.7  # search re-rank: weight of text relevance against the shopper's score
RECOMMEND_CACHE_SECONDS = 600  # per-shopper candidate lists (keyed by their latest event)
RECOMMEND_VERSIONS_SECONDS = 5  # how often a process re-reads the active model versions
RECOMMEND_CLICK_ATTRIBUTION_DAYS = 7  # an order this long after a click is attributed to it
RECOMMEND_HISTORY_LIMIT = 500  # newest events of a shopper that the models score
RECOMMEND_SESSION_HOURS = 2  # "this visit": a shopper's views, clicks and cart changes this recent
RECOMMEND_SESSION_WEIGHT = 0.5  # weight of this visit's scores against the whole history's ("for you" lists)

# The shopping assistant (docs/assistant.md): where "I don't know" sends shoppers, and the
# optional generative backend (OpenAI-compatible chat completions; empty URL = embedded default only)
ASSISTANT_CONTACT = env("ASSISTANT_CONTACT", default="support@giftshop.example")
LLM_BASE_URL = env("LLM_BASE_URL", default="")
LLM_MODEL = env("LLM_MODEL", default="")
LLM_API_KEY = env("LLM_API_KEY", default="")
LLM_TIMEOUT = env.float("LLM_TIMEOUT", default=8.0)
