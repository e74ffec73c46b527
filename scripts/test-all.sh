#!/usr/bin/env bash
# The full test suite: installs the pinned Python oracles, then runs every TypeScript test (and the Python tests).
set -euo pipefail
cd "$(dirname "$0")/.."
bash python/install-golden.sh
npm test
if [ -f python/install.sh ] && [ -d python/tests ]; then
  bash python/install.sh
  python/.venv/bin/python -m pytest -q python/tests
fi
