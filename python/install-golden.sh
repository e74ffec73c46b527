#!/usr/bin/env bash
# Creates .venv-golden with the pinned oracle tools (pycocotools, faster-coco-eval) used by golden tests and benchmarks.
# Idempotent: does nothing when the venv already holds exactly python/requirements-golden.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
req=python/requirements-golden.txt
venv=.venv-golden
stamp="$venv/.requirements.sha256"
want=$(sha256sum "$req" | cut -d' ' -f1)
if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  exit 0
fi
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
echo "$want" > "$stamp"
