#!/usr/bin/env bash
# The full test suite: installs the pinned Python oracles, then runs every TypeScript test (and the Python tests).
set -euo pipefail
cd "$(dirname "$0")/.."
bash python/install-golden.sh
# The report test renders report.html in Debian's headless Chromium; without root or apt it skips, saying so.
if ! command -v chromium >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } || echo "test-all: could not install chromium; the report test will skip"
fi
# The Brevitas stage's pinned PyTorch stack (torch from this machine's local wheels); the TS tests drive it too.
if [ -f python/install.sh ]; then bash python/install.sh; fi
npm test
if [ -d python/tests ]; then python/.venv/bin/python -m pytest -q python/tests; fi
