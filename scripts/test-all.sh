#!/usr/bin/env bash
# The full test suite: installs the pinned Python oracles, then runs every TypeScript test (and the Python tests).
set -euo pipefail
cd "$(dirname "$0")/.."
bash python/install-golden.sh
# The report test renders report.html in Debian's headless Chromium; without root or apt it skips, saying so.
if ! command -v chromium >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } || echo "test-all: could not install chromium; the report test will skip"
fi
npm test
if [ -f python/install.sh ] && [ -d python/tests ]; then
  bash python/install.sh
  python/.venv/bin/python -m pytest -q python/tests
fi
