#!/usr/bin/env bash
# The formatter and linters CI runs: Biome (format + lint) for TypeScript, ruff (lint + format) for python/.
# `bash scripts/lint.sh --fix` rewrites files instead of checking them.
set -euo pipefail
cd "$(dirname "$0")/.."
bash python/install-golden.sh >/dev/null
ruff=(.venv-golden/bin/ruff)
if [[ "${1:-}" == "--fix" ]]; then
  npx biome check --write .
  "${ruff[@]}" check --config python/ruff.toml --fix python
  "${ruff[@]}" format --config python/ruff.toml python
else
  npx biome ci .
  "${ruff[@]}" check --config python/ruff.toml python
  "${ruff[@]}" format --config python/ruff.toml --check python
fi
