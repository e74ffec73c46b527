#!/usr/bin/env bash
# The full test suite: installs the pinned Python oracles and the PyTorch stage, then runs the formatter and linters,
# every TypeScript test and the Python tests. Each suite runs whatever an earlier one reported; the exit code is 1
# when any failed, and the failing suites are named at the end.
set -uo pipefail
cd "$(dirname "$0")/.."
set -e
bash python/install-golden.sh
# The report test renders report.html in Debian's headless Chromium; without root or apt it skips, saying so.
if ! command -v chromium >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } || echo "test-all: could not install chromium; the report test will skip"
fi
# The Brevitas stage's pinned PyTorch stack (torch from this machine's local wheels); the TS tests drive it too.
if [ -f python/install.sh ]; then bash python/install.sh; fi
set +e
failed=()
bash scripts/lint.sh || failed+=("lint (bash scripts/lint.sh; --fix rewrites)")
npm test || failed+=("TypeScript tests (npm test)")
if [ -d python/tests ]; then python/.venv/bin/python -m pytest -q python/tests || failed+=("Python tests (pytest python/tests)"); fi
if [ ${#failed[@]} -gt 0 ]; then
  printf 'test-all: failed: %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "test-all: every suite passed"
