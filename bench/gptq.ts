import { readFileSync } from 'node:fs';
import { parseGranularity } from '../src/quant/plan.js';
import { RECIPES } from '../src/quant/algorithms/recipe.js';
import { makePlan } from '../src/workflow/quantize.js';
import { benchArgs, benchNumber } from './bench-args.js';

/**
 * GPTQ wall time on a real model (default yolov5n, 64 calibration images from train209), by stage, with the
 * default recipe's GPTQ settings (asymmetric 4-bit grids; `--plain`: symmetric; `--refine N`: N refinement sweeps).
 * Usage: node dist/bench/gptq.js [model.onnx] [calib dir] [granularity per-channel|block:N] [--plain] [--refine N]
 */
const args = benchArgs(import.meta.url, { plain: { type: 'boolean' }, refine: { type: 'string', default: '0' } }, true);
const plain = Boolean(args.values.plain);
const refine = benchNumber('refine', args.values.refine);
const model = args.positionals[0] ?? '../shared/data/models/yolov5n_fp16.onnx';
const calib = args.positionals[1] ?? '../shared/data/coco/train209/images';
const g = args.positionals[2] ?? 'per-channel';
const granularity = parseGranularity(g);
const stages = new Map<string, number>();
const t0 = performance.now();
let last = t0;
let current = '';
const { plan } = await makePlan(readFileSync(model), {
  scheme: 'w4a16',
  algorithm: 'gptq',
  calibration: { images: calib, count: 64, seed: 0 },
  weights: { granularity },
  ...(plain ? {} : { asymWeights: RECIPES.default.asymWeights }),
  ...(refine ? { refine } : {}),
  onProgress: (stage) => {
    const now = performance.now();
    if (stage !== current) {
      if (current) stages.set(current, (stages.get(current) ?? 0) + (now - last));
      current = stage;
      last = now;
    }
  },
});
const end = performance.now();
if (current) stages.set(current, (stages.get(current) ?? 0) + (end - last));
for (const [s, ms] of stages) console.log(`${s.padEnd(10)} ${(ms / 1000).toFixed(1)} s`);
console.log(
  `GPTQ ${model} (${g}${plain ? ', symmetric' : ', asymmetric'}${refine ? `, refine ${refine}` : ''}, ${plan.weights.filter((w) => w.algorithm.name === 'gptq').length} layers): ${((end - t0) / 1000).toFixed(1)} s total`,
);
