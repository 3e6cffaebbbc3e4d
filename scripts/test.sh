#!/usr/bin/env bash
# Command 2: install what the tests need and run the whole suite (lint first).
# Uses PostgreSQL and Redis on 127.0.0.1 when they answer, SQLite otherwise
# (the pytest header says which). Extra arguments go to pytest.
source "$(dirname "$0")/_venv.sh"
ensure_requirements requirements-dev.txt
if command -v chromium >/dev/null 2>&1; then :; else
  echo "==> note: Debian's chromium is not installed; browser tests will be skipped"
  echo "    (install it with: apt-get install -y chromium)"
fi
echo "==> ruff"
.venv/bin/ruff check .
echo "==> pytest"
exec .venv/bin/python -m pytest "$@"
