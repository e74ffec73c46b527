#!/usr/bin/env bash
# Creates the Brevitas stage's virtual environment (python/.venv, or $YOLOQ_VENV) and installs the pinned stack
# (requirements-brevitas.txt, every transitive version fixed by constraints-brevitas.txt). Idempotent: a venv whose
# stamp matches the requirements and constraints is left alone, so CI and `yoloq qat` can call it every time.
# torch/torchvision come from this machine's local wheels (pip's find-links); everything else from PyPI.
set -euo pipefail
with_yolov5=0
[[ "${1:-}" == "--with-yolov5" ]] && with_yolov5=1
here="$(cd "$(dirname "$0")" && pwd)"
venv="${YOLOQ_VENV:-$here/.venv}"
req="$here/requirements-brevitas.txt"
con="$here/constraints-brevitas.txt"
stamp="$venv/.yoloq-requirements.sha256"
want="$(cat "$req" "$con" | sha256sum | cut -d' ' -f1)"
install_yolov5() {
  # Not under the constraints file: there pip backtracks into an sdist whose setup.py needs pkg_resources. Installed
  # free, then the pinned stack is re-applied (a no-op when yolov5 moved nothing) and the import checked.
  local want5 stamp5="$venv/.yoloq-yolov5.sha256"
  want5="$(cat "$here/requirements-yolov5.txt" "$req" "$con" | sha256sum | cut -d' ' -f1)"
  [[ -f "$stamp5" && "$(cat "$stamp5")" == "$want5" ]] && return 0
  "$venv/bin/python" -m pip install --disable-pip-version-check --quiet --no-input -r "$here/requirements-yolov5.txt" 2>&1 \
    | grep -v "is ignored: it is neither a file nor a directory" || true
  "$venv/bin/python" -m pip install --disable-pip-version-check --quiet --no-input -r "$req" -c "$con" 2>&1 \
    | grep -v "is ignored: it is neither a file nor a directory" || true
  "$venv/bin/python" -c "import yolov5.models.yolo, brevitas, ultralytics" || { echo "python/install.sh: yolov5 did not install" >&2; exit 1; }
  echo "$want5" > "$stamp5"
}
if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  (( with_yolov5 )) && install_yolov5
  echo "python/install.sh: $venv is up to date"
  exit 0
fi
py="${PYTHON:-python3.11}"
command -v "$py" >/dev/null 2>&1 || py=python3
if ! "$py" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
  echo "python/install.sh: needs Python 3.11 (the local torch wheels are cp311); $py is $("$py" --version 2>&1)" >&2
  exit 2
fi
start=$(date +%s)
"$py" -m venv "$venv"
"$venv/bin/python" -m pip install --disable-pip-version-check --quiet --no-input -r "$req" -c "$con" 2>&1 \
  | grep -v "is ignored: it is neither a file nor a directory" || true
# pipefail would hide pip's own status behind grep's: check the result directly.
"$venv/bin/python" -c "import torch, torchvision, brevitas, ultralytics, onnx2torch, onnx, onnxruntime, onnxoptimizer, pytest" \
  || { echo "python/install.sh: the pinned stack did not install" >&2; exit 1; }
echo "$want" > "$stamp"
(( with_yolov5 )) && install_yolov5
echo "python/install.sh: installed into $venv in $(( $(date +%s) - start )) s ($(du -sh "$venv" | cut -f1))"
