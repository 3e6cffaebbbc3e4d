#!/usr/bin/env bash
# Command 1: set up and run the shop on the embedded default (SQLite,
# in-process Celery, local-memory cache). A second run skips what is done.
source "$(dirname "$0")/_venv.sh"
ensure_requirements requirements.txt
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-shop.settings.dev}"
echo "==> applying database migrations"
.venv/bin/python manage.py migrate --noinput
echo "==> importing the Online Retail data set (skipped when already imported)"
.venv/bin/python manage.py import_online_retail --if-empty
echo "==> building customer portraits (skipped when every customer has one; the first run encodes product names, about a minute)"
.venv/bin/python manage.py build_portraits --if-missing
echo "==> training the models the pages serve (skipped when they have active versions; about 2.5 minutes on 2 cores)"
.venv/bin/python manage.py train_serving_models --if-missing
echo "==> encoding the products with the multilingual model for Chinese search and the assistant (cached: about 3 minutes the first time, seconds after)"
.venv/bin/python manage.py assistant_index
echo "==> starting the shop on http://127.0.0.1:${PORT:-8000}/"
exec .venv/bin/python manage.py runserver "127.0.0.1:${PORT:-8000}"
