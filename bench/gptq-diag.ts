import { readFileSync } from 'node:fs';
import { toFloat32 } from '../src/onnx/ir/tensor.js';
import { modelFromBytes } from '../src/onnx/serde/model-io.js';
import { gptqQuantize, outputError } from '../src/quant/algorithms/gptq.js';
import { collectHessians } from '../src/quant/algorithms/hessian.js';
import { calibrationSet } from '../src/quant/calibration/samples.js';
import { findQuantTargets } from '../src/quant/policy/targets.js';
import { workingGraph } from '../src/workflow/quantize.js';
import { dequantizeCodes, maxAbsScales, quantizeCodes } from '../src/quant/weights/codes.js';
import { benchArgs, benchNumber } from './bench-args.js';

/**
 * Per-layer Hessian-predicted output error of RTN vs GPTQ (4-bit per-channel), to see where GPTQ helps.
 * Usage: node dist/bench/gptq-diag.js [model.onnx] [calibration images]
 */
const { positionals } = benchArgs(import.meta.url, {}, true);
const work = workingGraph(modelFromBytes(readFileSync(positionals[0] ?? '../shared/data/models/yolox_nano.onnx')));
const targets = findQuantTargets(work);
const hs = await collectHessians(
  work,
  targets,
  calibrationSet(work, { images: '../shared/data/coco/train209/images', count: benchNumber('images', positionals[1] ?? '16', 1) }).feeds(),
);
for (const t of targets) {
  const h = hs.get(t.node);
  if (!h) continue;
  const w = toFloat32(t.weight);
  const rows = t.weight.dims[0]!;
  const rpg = rows / h.groups;
  let eR = 0,
    eG = 0,
    sig = 0;
  for (let g = 0; g < h.groups; g++) {
    const wg = w.subarray(g * rpg * h.k, (g + 1) * rpg * h.k);
    const hg = h.h.subarray(g * h.k * h.k, (g + 1) * h.k * h.k);
    const gr = { kind: 'per-channel', axis: 0 } as const;
    const sc = maxAbsScales(wg, [rpg, h.k], gr, 4);
    eR += outputError(wg, dequantizeCodes(quantizeCodes(wg, [rpg, h.k], gr, sc, 4, true), [rpg, h.k], gr, sc), rpg, h.k, hg);
    const r = gptqQuantize(wg, rpg, h.k, hg, { bits: 4, narrow: true, granularity: gr });
    eG += outputError(wg, dequantizeCodes(r.codes, [rpg, h.k], gr, r.scales), rpg, h.k, hg);
    sig += outputError(wg, new Float32Array(wg.length), rpg, h.k, hg);
  }
  console.log(
    `${t.node.padEnd(40)} g=${h.groups} k=${h.k} rtn ${(10 * Math.log10(sig / eR)).toFixed(1)} dB gptq ${(10 * Math.log10(sig / eG)).toFixed(1)} dB`,
  );
}
