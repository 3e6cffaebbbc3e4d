"""Test settings: the real PostgreSQL and Redis when they are reachable (CI),
SQLite and eager Celery otherwise. `tests/conftest.py` prints which one in the
pytest header, so a run on a laptop never passes for a run on PostgreSQL."""

import socket
from urllib.parse import urlparse

from core.cache import redis_backend

from .base import *  # noqa: F403
from .base import BASE_DIR, env


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=0.5):
            return True
    except OSError:
        return False


DEBUG = False
SECRET_KEY = "test-secret-key"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = env("TEST_EMAIL_BACKEND", default="django.core.mail.backends.locmem.EmailBackend")
EMAIL_FILE_PATH = env("TEST_EMAIL_FILE_PATH", default=str(BASE_DIR / "var" / "test-mail"))
DEMO_LOGIN_ENABLED = True

_PG_URL = env("TEST_DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/shop")
_REDIS_URL = env("TEST_REDIS_URL", default="redis://127.0.0.1:6379/15")
_FORCE_SQLITE = env.bool("TEST_FORCE_SQLITE", default=False)

USING_POSTGRES = not _FORCE_SQLITE and _reachable(_PG_URL, 5432)
USING_REDIS = not _FORCE_SQLITE and _reachable(_REDIS_URL, 6379)

if USING_POSTGRES:
    DATABASES = {"default": env.db_url_config(_PG_URL)}
    # A worker process started by a test reaches the test database by this name.
    DATABASES["default"]["TEST"] = {"NAME": env("TEST_DATABASE_NAME", default=None)}
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "test.sqlite3"}}

if USING_REDIS:
    CACHES = redis_backend({"default": {"BACKEND": "core.cache.RedisCache", "LOCATION": _REDIS_URL}})
    CELERY_BROKER_URL = _REDIS_URL
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "shop-test"}}
    CELERY_BROKER_URL = "memory://"

# In-process tasks by default so a test sees a task's effect; the tests that
# prove the real path start a real worker (tests/conftest.py: celery_worker_proc)
# and turn this off for their duration.
CELERY_TASK_ALWAYS_EAGER = True
ARTIFACTS_DIR = env.path("ARTIFACTS_DIR", default=BASE_DIR / "var" / "test-artifacts")
# Serve static files from the app folders (no collectstatic before tests).
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# tests roll back their ModelVersion rows without a signal: read the active
# versions on every page (tests/recommend/serving/test_fast_paths.py turns the cache on)
RECOMMEND_VERSIONS_SECONDS = 0
