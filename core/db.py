"""Generic database helpers any app may use (no models, no app imports)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from contextlib import contextmanager

from django.db import connection
from django.db.models import DateTimeField, JSONField, Model
from django.utils import timezone


def rows_bulk_insert(
    *, model: type[Model], fields: Sequence[str], rows: Iterable[Sequence], batch_size: int = 5000
) -> int:
    """Insert many rows of `model` fast: one parameterised INSERT run with
    executemany (SQLite) or psycopg2's execute_values (PostgreSQL), without
    building model instances. Used by the history import, where bulk_create
    spent most of its time compiling SQL for 900,000 rows (see docs/import.md).

    `fields` names the columns given in each row (in order); every other
    concrete field gets its default (auto_now/auto_now_add fields: now), so a
    field added later with a default keeps working. Values are adapted per
    field type (aware datetimes, decimals) as the ORM would. Returns the count.
    """
    meta = model._meta
    given = [meta.get_field(name) for name in fields]
    given_names = {f.name for f in given}
    rest = [f for f in meta.concrete_fields if f.name not in given_names and not f.primary_key]
    ops = connection.ops
    now = timezone.now()
    constants = []
    for f in rest:
        value = now if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False) else f.get_default()
        constants.append(f.get_db_prep_save(value, connection))
    adapters = []
    for f in given:
        if isinstance(f, DateTimeField):
            cache: dict = {}

            def adapt_dt(value, cache=cache):
                if value not in cache:
                    cache[value] = ops.adapt_datetimefield_value(value)
                return cache[value]

            adapters.append(adapt_dt)
        elif isinstance(f, JSONField):
            adapters.append(lambda value, f=f: f.get_db_prep_save(value, connection))
        else:
            adapters.append(None)
    columns = ", ".join(ops.quote_name(f.column) for f in given + rest)
    table = ops.quote_name(meta.db_table)
    constant_tail = tuple(constants)
    count = 0

    def prepared(chunk):
        out = []
        for row in chunk:
            values = tuple(a(v) if a else v for a, v in zip(adapters, row))
            out.append(values + constant_tail)
        return out

    chunk: list = []
    with connection.cursor() as cursor:

        def flush():
            if connection.vendor == "postgresql":
                from psycopg2.extras import execute_values

                execute_values(
                    cursor.cursor, f"INSERT INTO {table} ({columns}) VALUES %s", prepared(chunk), page_size=len(chunk)
                )
            else:
                marks = ", ".join(["%s"] * (len(given) + len(rest)))
                cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", prepared(chunk))

        for row in rows:
            chunk.append(row)
            if len(chunk) >= batch_size:
                flush()
                count += len(chunk)
                chunk = []
        if chunk:
            flush()
            count += len(chunk)
    return count


@contextmanager
def exclusive_run(name: str, *, timeout: int):
    """Yield True in the one process that may run the job `name` now, False
    in every other. On PostgreSQL a session advisory lock (try, never wait):
    the server releases it when the holder's connection ends, so a worker
    SIGKILLed mid-run never leaves the job locked. Elsewhere (SQLite, the
    single-process default) a cache key with `timeout` seconds to live."""
    from django.core.cache import cache

    if connection.vendor != "postgresql":
        acquired = bool(cache.add(f"exclusive-run:{name}", 1, timeout=timeout))
        try:
            yield acquired
        finally:
            if acquired:
                cache.delete(f"exclusive-run:{name}")
        return
    key = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        acquired = bool(cursor.fetchone()[0])
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
