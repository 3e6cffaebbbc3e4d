"""Suite-wide fixtures: which database and broker the run uses, and a real
Celery worker process for the tests that must prove the real path."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent


def pytest_report_header(config):
    db = "PostgreSQL" if settings.USING_POSTGRES else "SQLite (fallback: PostgreSQL not reachable)"
    broker = "Redis" if settings.USING_REDIS else "in-memory, eager Celery (fallback: Redis not reachable)"
    return [f"shop test database: {db}", f"shop broker/cache: {broker}"]


def _test_database_url() -> str:
    from django.db import connection

    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: a request to a /zh-hans/ page
    leaves Chinese active in the thread (LocaleMiddleware activates, never
    deactivates), which would leak into the next test's direct calls."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def celery_worker_proc(transactional_db):
    """A real `celery worker` process reading tasks from Redis and writing to
    the test database. Tasks sent during the test go through the broker."""
    if not (settings.USING_POSTGRES and settings.USING_REDIS):
        pytest.skip("needs PostgreSQL and Redis (a real worker cannot share an SQLite test database)")
    from shop.celery import app

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "shop.settings.test",
        "TEST_DATABASE_URL": _test_database_url(),
        "PYTHONUNBUFFERED": "1",
    }
    log_path = ROOT / "var" / f"celery-worker-{os.getpid()}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "w")
    app.control.purge()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "shop",
            "worker",
            "-Q",
            "default,ml",
            "--pool=solo",
            "--concurrency=1",
            "-l",
            "info",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"test-{os.getpid()}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    old_eager = app.conf.task_always_eager
    app.conf.CELERY_TASK_ALWAYS_EAGER = False  # the namespaced key: a lowercase one is shadowed by the settings
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"celery worker exited early, see {log_path}:\n{log_path.read_text()[-3000:]}")
            if app.control.ping(timeout=0.5):
                break
        else:
            raise RuntimeError(f"celery worker did not start in 60 s, see {log_path}")
        proc.log_path = log_path
        yield proc
    finally:
        app.conf.CELERY_TASK_ALWAYS_EAGER = old_eager
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        log.close()


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.2):
    """Poll until predicate() is truthy; returns its value or fails the test."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"condition not met within {timeout} s")


class RedisServer:
    """A `redis-server` of the test's own on a free port, which the test may
    stop and start again (same port) to drill an outage."""

    def __init__(self, tmp_path: Path) -> None:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.dir = tmp_path
        self.proc: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        import shutil
        import socket

        exe = shutil.which("redis-server")
        if exe is None:
            pytest.skip("redis-server is not installed")
        self.proc = subprocess.Popen(
            [exe, "--port", str(self.port), "--save", "", "--appendonly", "no", "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()  # an outage, not a shutdown
            self.proc.wait(timeout=10)
        self.proc = None


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def celery_broker(url: str):
    """This test process's Celery app publishes to `url` (a test's own Redis),
    not eagerly, for the duration; the old broker and eagerness after."""
    from shop.celery import app

    def reset_pools():
        app._pool = None
        if "amqp" in app.__dict__:
            app.__dict__["amqp"]._producer_pool = None

    # the app reads Django settings with the CELERY_ namespace: a lowercase key set here would be shadowed
    old_url, old_eager = app.conf.broker_url, app.conf.task_always_eager
    app.conf.CELERY_BROKER_URL, app.conf.CELERY_TASK_ALWAYS_EAGER = url, False
    reset_pools()
    try:
        yield app
    finally:
        app.conf.CELERY_BROKER_URL, app.conf.CELERY_TASK_ALWAYS_EAGER = old_url, old_eager
        reset_pools()


class CeleryWorker:
    """A real `celery worker` process (solo pool) on `broker_url`, writing to
    the test database, which a drill may SIGKILL and start again. `env` adds
    to its environment (say, a file e-mail backend to count the mails)."""

    def __init__(self, broker_url: str, log_path: Path, env: dict[str, str] | None = None) -> None:
        self.broker_url = broker_url
        self.log_path = log_path
        self.extra_env = env or {}
        self.proc: subprocess.Popen | None = None
        self._log = None
        self.starts = 0

    def start(self, timeout: float = 60) -> None:
        from shop.celery import app

        self.starts += 1
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "shop.settings.test",
            "TEST_DATABASE_URL": _test_database_url(),
            "TEST_REDIS_URL": self.broker_url,
            "PYTHONUNBUFFERED": "1",
            **self.extra_env,
        }
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "a")
        self._log.write(f"\n===== start {self.starts} =====\n")
        self._log.flush()
        name = f"drill-{os.getpid()}-{self.starts}@%h"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "shop", "worker", "-Q", "default,ml", "--pool=solo"]
            + ["-l", "info", "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", name],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        with celery_broker(self.broker_url):
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"celery worker exited early:\n{self.log()[-3000:]}")
                if app.control.ping(timeout=0.5):  # the only worker on this test's own Redis
                    return
        raise RuntimeError(f"celery worker did not start in {timeout} s:\n{self.log()[-3000:]}")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL: a worker lost mid-task, as a machine or the OOM killer would."""
        if self.alive():
            self.proc.kill()
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.alive():
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None


@pytest.fixture
def drill_worker(transactional_db, redis_server, tmp_path):
    """A real worker on the test's own Redis (`redis_server`), started by the
    test (`drill_worker.start()`), e-mails written to files under
    `drill_worker.mail_dir` so a test can count them."""
    if not settings.USING_POSTGRES:
        pytest.skip("needs PostgreSQL (a real worker cannot share an SQLite test database)")
    mail_dir = tmp_path / "mail"
    worker = CeleryWorker(
        redis_server.url(0),
        tmp_path / "celery-worker.log",
        env={
            "TEST_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "TEST_EMAIL_FILE_PATH": str(mail_dir),
        },
    )
    worker.mail_dir = mail_dir
    try:
        yield worker
    finally:
        worker.stop()


def mails_to(mail_dir: Path, subject: str) -> int:
    """How many e-mails with `subject` a file e-mail backend wrote under mail_dir."""
    if not mail_dir.exists():
        return 0
    return sum(f.read_text(errors="replace").count(f"Subject: {subject}") for f in mail_dir.iterdir() if f.is_file())
