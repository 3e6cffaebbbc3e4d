#!/usr/bin/env bash
# The fault drills of issue 13 (docs/reliability.md), one command:
#   ./scripts/drills.sh            every drill (real workers, their own Redis; about 3 minutes)
#   ./scripts/drills.sh --fast     the ones without a worker (they are in the fast suite too)
# Needs PostgreSQL (TEST_DATABASE_URL) and redis-server on PATH; the drills start
# their own Redis on a free port and never touch a shared one.
set -euo pipefail
cd "$(dirname "$0")/.."
marks="drill"
if [[ "${1:-}" == "--fast" ]]; then
  marks="drill and not worker and not slow"
fi
exec .venv/bin/python -m pytest -m "$marks" -p no:cacheprovider -q \
  tests/drills tests/recommend/test_drill_artifacts.py tests/checkout/test_outbox.py \
  tests/shop/test_worker_redis_drop.py tests/shop/test_redis_hung.py "${@:2}"
