"""Learned rounding (AdaRound / BRECQ-style block reconstruction, with QDrop) started from a yoloq QuantPlan.

yoloq's TypeScript side writes a job folder (src/quant/learned/job.ts: float.onnx, plan.json with explicit codes,
blocks.json, images.npy + meta.json); this package learns each weight's rounding block by block and writes
codes.safetensors + result.json, which TypeScript merges back into the plan (`yoloq learn`). Run as
``python -m yoloq_brevitas.learned --job DIR``. See docs/learned-rounding.md.
"""
