#!/usr/bin/env bash
# Prints the sha256 of the outputs that must stay byte-identical for an unchanged recipe and seed (docs/where-things-go.md):
# quantize to int4 and to qcdq with the default recipe on YOLOX-nano, apply of the qcdq plan, and `run` on the embedded default.
# usage: bash scripts/determinism.sh [OUT_DIR]   (needs ../shared/data and a built dist/)
set -euo pipefail
cd "$(dirname "$0")/.."
data=../shared/data
out=${1:-$(mktemp -d)}
mkdir -p "$out"
yoloq() { node dist/src/cli/main.js "$@"; }
common=(--model "$data/models/yolox_nano.onnx" --scheme w4a8 --recipe default --calib "$data/coco/train209/images" --calib-count 16 --sqnr-images 0)
yoloq quantize "${common[@]}" --format int4 --plan "$out/int4.plan.json" -o "$out/int4.onnx" >/dev/null
yoloq quantize "${common[@]}" --format qcdq --plan "$out/qcdq.plan.json" -o "$out/qcdq.onnx" >/dev/null
yoloq apply --plan "$out/qcdq.plan.json" "$data/models/yolox_nano.onnx" --format qdq -o "$out/apply-qdq.onnx" >/dev/null
yoloq apply --plan "$out/int4.plan.json" "$data/models/yolox_nano.onnx" --format int4 --cuda-layout -o "$out/apply-int4-cuda.onnx" >/dev/null
yoloq run -o "$out/run" >/dev/null
(cd "$out" && sha256sum int4.onnx qcdq.onnx apply-qdq.onnx apply-int4-cuda.onnx int4.plan.json qcdq.plan.json int4.plan.safetensors qcdq.plan.safetensors && find run -name '*.onnx' | sort | xargs sha256sum)
