#!/usr/bin/env bash
# Runs the matrix-js-sdk end-to-end test against the packaged example server.
# Installs the client from the committed lockfile when node_modules is missing.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -d node_modules/matrix-js-sdk ]; then
  npm ci --no-audit --no-fund
fi
node --test --test-reporter=spec
