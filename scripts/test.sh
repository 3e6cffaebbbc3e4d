#!/usr/bin/env bash
# Command 2: install what the tests need, lint, and run the tests.
#   ./scripts/test.sh          the fast suite (not slow, e2e or worker; under half a minute) + ruff
#   ./scripts/test.sh --all    every test: slow, real-browser (e2e) and real-worker ones too (CI: .ci/run)
# Further arguments go to pytest (a later -m replaces the fast suite's marker):
#   ./scripts/test.sh tests/checkout        ./scripts/test.sh --all tests/e2e
# Uses PostgreSQL and Redis on 127.0.0.1 when they answer, SQLite otherwise
# (the pytest header says which).
source "$(dirname "$0")/_venv.sh"
ensure_requirements requirements-dev.txt
FAST_MARKERS="not slow and not e2e and not worker"
marker=(-m "$FAST_MARKERS")
if [ "${1:-}" = "--all" ]; then
  shift
  marker=()
  if ! command -v chromium >/dev/null 2>&1; then
    echo "==> note: Debian's chromium is not installed; browser tests will be skipped"
    echo "    (install it with: apt-get install -y chromium)"
  fi
fi
echo "==> ruff check"
.venv/bin/ruff check .
echo "==> ruff format --check"
.venv/bin/ruff format --check .
echo "==> pytest ${marker[*]:-(everything)}"
exec .venv/bin/python -m pytest "${marker[@]}" "$@"
