"""The embedded default: SQLite, local-memory cache, Celery tasks run in-process.

Eager Celery is set explicitly here, never derived from a missing broker."""

from core.cache import redis_backend

from .base import *  # noqa: F403
from .base import BASE_DIR, env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL: readers never wait for the writer, and an event insert costs well
    # under a millisecond instead of a full fsync (bench/bench_events.py).
    DATABASES["default"]["OPTIONS"] = {"init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
CACHES = redis_backend(
    {"default": env.cache("CACHE_URL", default="locmemcache://shop-dev")}
)  # one Redis client per pool (core/cache.py)
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = "memory://"
# a debounced task (a portrait update after a view) runs on a timer thread
# after its countdown, not inside the request (core/jobs.py)
JOBS_DEFER_EAGER = env.bool("JOBS_DEFER_EAGER", default=True)
DEMO_LOGIN_ENABLED = env.bool("DEMO_LOGIN_ENABLED", default=True)
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
