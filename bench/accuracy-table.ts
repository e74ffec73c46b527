import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { evaluateModel } from '../src/eval/evaluate-model.js';
import { saveModel } from '../src/onnx/serde/model-io.js';
import type { QuantPlan } from '../src/quant/plan.js';
import { FORMAT_CAPABILITIES } from '../src/export/formats.js';
import { RECIPES, recipePlanRequest } from '../src/quant/algorithms/recipe.js';
import type { LayerHessian } from '../src/quant/algorithms/hessian.js';
import { fourBitShare } from '../src/quant/policy/sensitivity-budget.js';
import { applyPlan, makePlan, type PlanRequest } from '../src/workflow/quantize.js';
import type { SchemeName } from '../src/quant/scheme.js';

/**
 * The accuracy table of docs/accuracy.md: mAP50-95 (val100, pycocotools-exact) for FP32, RTN and each algorithm /
 * recipe, W4A16 and W4A8, on yolox_nano and yolov5n; calibration only on train209, each quantized row over two
 * calibration draws (seeds 0 and 1) with both values and their mean.
 * Usage: node dist/bench/accuracy-table.js [--models a,b] [--variants v1,v2] [--seeds 0,1] [--schemes w4a16,w4a8] [--out file.md]
 */

const DATA = '../shared/data';
const MODELS: Record<string, string> = { yolox_nano: `${DATA}/models/yolox_nano.onnx`, yolov5n: `${DATA}/models/yolov5n_fp16.onnx` };
const CALIB = `${DATA}/coco/train209/images`;
const EVAL = { coco: `${DATA}/coco/val100/instances_val100.json`, images: `${DATA}/coco/val100/images` };

/** `a8Only`: differs from another row only in activation handling (for W4A16 it equals a row without it). 'old default' = the recipe before equalization and correction. */
interface Variant {
  name: string;
  req: Partial<PlanRequest>;
  blocked?: boolean;
  a8Only?: boolean;
  calibCount?: number;
}

/** Exactly what `--recipe default` asks for (src/quant/algorithms/recipe.ts) in QCDQ: per-channel 4-bit scales. */
const DEFAULT = recipePlanRequest(RECIPES.default, FORMAT_CAPABILITIES.qcdq);
/** The default with `blockSize` input elements per 4-bit scale (native INT4 only). */
const blocked = (blockSize: number, keepFirstLast = true): Partial<PlanRequest> => ({
  ...DEFAULT,
  weights: { granularity: { kind: 'blocked', blockSize }, ...(keepFirstLast ? {} : { keepFirstLast }) },
});
const BLOCK32 = blocked(32);

const VARIANTS: Variant[] = [
  { name: 'rtn', req: { algorithm: 'rtn' } },
  { name: 'rtn+budget0.9', req: { algorithm: 'rtn', budget: 0.9 } },
  { name: 'gptq', req: { algorithm: 'gptq' } },
  { name: 'gptq block:64', req: { algorithm: 'gptq', weights: { granularity: { kind: 'blocked', blockSize: 64 } } }, blocked: true },
  { name: 'gptq+budget0.9', req: { algorithm: 'gptq', budget: 0.9 } },
  { name: 'old default', req: { algorithm: 'gptq', budget: 0.9, rangeSearch: true }, a8Only: true },
  { name: 'gptq+budget0.9+correct', req: { algorithm: 'gptq', budget: 0.9, correct: 4 } },
  { name: 'old default+equalize', req: { algorithm: 'gptq', budget: 0.9, rangeSearch: true, equalize: true }, a8Only: true },
  {
    name: 'old default+equalize+correct',
    req: { algorithm: 'gptq', budget: 0.9, rangeSearch: true, equalize: true, correct: 4 },
    a8Only: true,
  },
  { name: 'gptq+asym', req: { algorithm: 'gptq', asymWeights: true } },
  { name: 'gptq+budget0.9+asym', req: { algorithm: 'gptq', budget: 0.9, asymWeights: true } },
  // The recipe default: range search and equalization act on A8 only, so under W4A16 this is gptq+budget0.9+asym+correct.
  { name: 'default', req: DEFAULT },
  { name: 'default+refine', req: { ...DEFAULT, refine: 4 } },
  // The recipe default in native INT4 (`--format int4`, the run's 4-bit format): blocked scales, 16 input elements each.
  { name: 'default block:16', req: recipePlanRequest(RECIPES.default, FORMAT_CAPABILITIES.int4), blocked: true },
  // The previous INT4 recipe (32 input elements per scale) and what was tried on top of it.
  { name: 'default block:32', req: BLOCK32, blocked: true },
  { name: 'default block:64', req: blocked(64), blocked: true },
  { name: 'default+refine block:32', req: { ...BLOCK32, refine: 4 }, blocked: true },
  { name: 'default block:32 correct2', req: { ...BLOCK32, correct: 2 }, blocked: true },
  { name: 'default block:32 calib128', req: BLOCK32, blocked: true, calibCount: 128 },
  { name: 'default block:32 no-keep-first-last', req: blocked(32, false), blocked: true },
  { name: 'default+refine block:64', req: { ...blocked(64), refine: 4 }, blocked: true },
  { name: 'default+equalize all α0.5', req: { ...DEFAULT, equalizeAlpha: 0.5 }, a8Only: true },
];

function arg(name: string, fallback: string): string[] {
  const i = process.argv.indexOf(`--${name}`);
  return (i >= 0 ? process.argv[i + 1]! : fallback).split(',');
}

const models = arg('models', 'yolox_nano,yolov5n');
const variants = arg('variants', VARIANTS.map((v) => v.name).join(','));
const seeds = arg('seeds', '0,1').map(Number);
const schemes = arg('schemes', 'w4a16,w4a8') as SchemeName[];
const outFile = arg('out', '')[0];
const tmp = '/tmp/yoloq-accuracy';
mkdirSync(tmp, { recursive: true });

/** Conv weights only: bits per weight including the float32 scales and the zero points (b bits each) of asymmetric weights. */
function effectiveBits(plan: QuantPlan): number {
  let n = 0;
  let bits = 0;
  for (const w of plan.weights) {
    if (w.opType !== 'Conv') continue;
    const k = w.shape.reduce((a, b) => a * b, 1);
    n += k;
    bits += k * w.bits + 32 * w.scales.length + (w.zeroPoints ? w.bits * w.zeroPoints.length : 0);
  }
  return bits / n;
}

async function mAP(path: string): Promise<number> {
  const ev = await evaluateModel(path, EVAL, { threads: 2 });
  return ev.result.stats[0]!;
}

const rows: string[] = [];
/** Hessians depend only on (model, calibration draw): collected once per pair, shared by every GPTQ variant. */
const hessianStore = new Map<string, Map<string, LayerHessian>>();
const log = (s: string) => {
  console.log(s);
  rows.push(s);
};
log('| model | scheme | variant | % Conv params at 4 bits | bits/weight (incl. scales) | mAP50-95 seed 0 | seed 1 | mean | Δ vs FP32 |');
log('|---|---|---|---|---|---|---|---|---|');
for (const m of models) {
  const bytes = readFileSync(MODELS[m]!);
  const fp = await mAP(MODELS[m]!);
  log(`| ${m} | FP32 | — | 0 | 32 | ${fp.toFixed(4)} | | ${fp.toFixed(4)} | |`);
  for (const scheme of schemes) {
    for (const v of VARIANTS.filter((x) => variants.includes(x.name) && !(x.a8Only && scheme.endsWith('a16')))) {
      const values: number[] = [];
      let share = 0;
      let eff = 0;
      let seconds = 0;
      for (const seed of seeds) {
        const t0 = performance.now();
        const count = v.calibCount ?? 64;
        const key = `${m}/${seed}/${count}${v.req.equalize ? '/eq' : ''}`;
        if (!hessianStore.has(key)) hessianStore.set(key, new Map());
        const { plan, work } = await makePlan(bytes, {
          scheme,
          calibration: { images: CALIB, count, seed },
          ...v.req,
          algorithmOptions: { hessians: hessianStore.get(key)! },
        });
        seconds += (performance.now() - t0) / 1000;
        const model = applyPlan(work, plan, {
          format: v.blocked ? 'int4' : 'qcdq',
          ...(scheme.endsWith('a16') ? { actDtype: 'fp32' as const } : {}),
        });
        const path = join(tmp, `${m}-${scheme}-${v.name.replace(/[^a-z0-9.]+/gi, '_')}-${seed}.onnx`);
        saveModel(model, path);
        values.push(await mAP(path));
        share = fourBitShare(plan.weights);
        eff = effectiveBits(plan);
      }
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      log(
        `| ${m} | ${scheme.toUpperCase()} | ${v.name} | ${(100 * share).toFixed(1)} | ${eff.toFixed(2)} | ${values.map((x) => x.toFixed(4)).join(' | ')} | ${mean.toFixed(4)} | ${((mean - fp) * 100).toFixed(2)} |`,
      );
      console.error(`  (${m} ${scheme} ${v.name}: planning ${(seconds / seeds.length).toFixed(0)} s per draw)`);
    }
  }
}
if (outFile) writeFileSync(outFile, `${rows.join('\n')}\n`);
