# Sourced by the other scripts: make .venv and install a requirements file
# into it, skipping the install when the file has not changed since last time.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY="${PYTHON:-$(command -v python3.11 || command -v python3)}"
if [ ! -x .venv/bin/python ]; then
  echo "==> creating virtualenv .venv with $PY"
  "$PY" -m venv .venv
fi
ensure_requirements() {
  local req="$1" stamp=".venv/.installed-$(basename "$1")"
  local want; want="$(cat requirements*.txt | sha256sum | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    echo "==> $req already installed (skipping)"
  else
    echo "==> installing $req (first run takes a few minutes)"
    .venv/bin/python -m pip install --disable-pip-version-check -q --upgrade pip
    .venv/bin/python -m pip install --disable-pip-version-check --progress-bar on -r "$req"
    echo "$want" > "$stamp"
  fi
}
