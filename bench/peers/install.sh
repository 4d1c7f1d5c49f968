#!/usr/bin/env bash
# Installs the two peer benchmarks' dependencies. Idempotent, no stdin.
#   bench/peers/.venv                 Python venv with SpiffWorkflow (pinned)
#   bench/peers/graphile/node_modules graphile-worker (pinned in package.json / package-lock.json)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

SPIFF_VERSION="3.2.0"
PYTHON="${PYTHON:-python3}"

if [ ! -x "$here/.venv/bin/python" ]; then
  "$PYTHON" -m venv "$here/.venv"
fi
if ! "$here/.venv/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('SpiffWorkflow') != '$SPIFF_VERSION')" 2>/dev/null; then
  "$here/.venv/bin/python" -m pip install --disable-pip-version-check --no-input -q "SpiffWorkflow==$SPIFF_VERSION"
fi

cd "$here/graphile"
if [ -f package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
else
  npm install --no-audit --no-fund --loglevel=error
fi

echo "peers installed: SpiffWorkflow $("$here/.venv/bin/python" -c 'import importlib.metadata as m; print(m.version("SpiffWorkflow"))'), graphile-worker $(node -p 'require("./node_modules/graphile-worker/package.json").version')"
