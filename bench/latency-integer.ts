/**
 * ORT CPU: the all-integer W4A8 chain (`quantize --scheme w4a8 --target ort-cpu-integer`: QDQ with 4-bit codes carried as
 * int8 and every value between the first and last quantized Conv quantized) against the float model, beside the
 * same plan as native INT4 loaded raw by plain ORT and as yoloq loads it (prepared: weights widened to INT8,
 * zero points folded into the codes; what `yoloq convert --to ort-cpu` writes). One process per variant
 * (`yoloq bench --json` as a child), variants interleaved over --rounds so load on a shared machine spreads over all.
 * Prints mean latency, its ratio to the float model measured in the same run, and the nodes that still compute in
 * float after ORT's optimizer (counted in the optimized model ORT writes). The models stay in --out for `yoloq eval`.
 * `--map` adds each file's mAP50-95 on val100 (yoloq's evaluator, pycocotools-exact) beside its latency: the integer
 * chain's accuracy is the other half of its goal.
 *   npx tsc -p tsconfig.json && node dist/bench/latency-integer.js [--runs 30] [--rounds 3] [--threads 2] [--calib-count 16]
 *       [--map] [--no-latency]
 * `--no-latency` skips the timing (mean ms and × FP32 print as —): float-op counts and mAP only, which a loaded
 * machine does not move.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { evaluateModel } from '../src/eval/evaluate-model.js';
import { FORMAT_CAPABILITIES } from '../src/export/formats.js';
import { saveModel } from '../src/onnx/serde/model-io.js';
import { recipeFor, recipePlanRequest } from '../src/quant/algorithms/recipe.js';
import { optimizedGraph } from '../src/runtime/optimized-graph.js';
import { prepareForOrtCpu, prepareModel } from '../src/runtime/prepare-model.js';
import { applyPlan, makePlan } from '../src/workflow/quantize.js';
import { benchArgs } from './bench-args.js';

const { values } = benchArgs(import.meta.url, {
  runs: { type: 'string', default: '30' },
  rounds: { type: 'string', default: '3' },
  threads: { type: 'string', default: '2' },
  'calib-count': { type: 'string', default: '16' },
  shared: { type: 'string', default: '../shared/data' },
  models: { type: 'string', default: 'yolox_nano.onnx,yolov5n_fp16.onnx,/tmp/yoloq-accuracy/yolov10n.onnx' },
  out: { type: 'string', default: '/tmp/yoloq-latency-integer' },
  map: { type: 'boolean' },
  'no-latency': { type: 'boolean' },
});
const VAL100 = { coco: join(values.shared!, 'coco/val100/instances_val100.json'), images: join(values.shared!, 'coco/val100/images') };

/** mAP50-95 on val100 as yoloq's sessions load the file (`raw`: as plain ORT does — the same numbers, slower). */
async function mapOf(path: string, raw: boolean): Promise<string> {
  if (!values.map) return '';
  const ev = await evaluateModel(path, VAL100, { threads: Number(values.threads), raw });
  return ev.result.stats[0]!.toFixed(4);
}
const shared = values.shared!;
const cli = join(process.cwd(), 'dist', 'src', 'cli', 'main.js');
const dir = values.out!;
mkdirSync(dir, { recursive: true });

function bench(model: string, raw: boolean): number {
  const args = [cli, 'bench', '--model', model, '--runs', values.runs!, '--warmup', '5', '--threads', values.threads!, '--json'];
  const r = spawnSync(process.execPath, raw ? [...args, '--raw'] : args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bench ${model}: ${r.stderr}`);
  return JSON.parse(r.stdout).latencyMs.mean as number;
}

for (const entry of values.models!.split(',')) {
  const src = entry.includes('/') ? entry : join(shared, 'models', entry);
  if (!existsSync(src)) {
    console.log(`\n${entry}: not found, skipped (YOLOv10n: export it as bench/accuracy-table.ts does)`);
    continue;
  }
  const base = entry.replace(/^.*\//, '').replace(/\.onnx$/, '');
  const recipe = recipeFor('default', 4);
  // The integer chain needs one scale per output channel (QLinearConv has no blocked weights): the default recipe
  // as it applies to QDQ, which is per-channel.
  const plan = await makePlan(readFileSync(src), {
    ...recipePlanRequest(recipe, FORMAT_CAPABILITIES.qdq),
    scheme: 'w4a8',
    calibration: { images: join(shared, 'coco', 'train209', 'images'), count: Number(values['calib-count']) },
    placement: 'ort-integer',
  });
  const files = {
    integer: join(dir, `${base}-w4a8-ort-cpu.onnx`),
    int4: join(dir, `${base}-w4a8-int4.onnx`),
  };
  saveModel(prepareForOrtCpu(applyPlan(plan.work, plan.plan, { format: 'qdq' })).model, files.integer);
  saveModel(applyPlan(plan.work, plan.plan, { format: 'int4' }), files.int4);
  const variants = [
    { name: 'FP32 (as shipped)', path: src, raw: true },
    { name: 'W4A8 integer chain (--target ort-cpu-integer)', path: files.integer, raw: true },
    { name: 'W4A8 native INT4, plain ORT (raw)', path: files.int4, raw: true },
    { name: 'W4A8 native INT4, loaded by yoloq', path: files.int4, raw: false },
  ];
  const times = variants.map(() => [] as number[]);
  const rounds = values['no-latency'] ? 0 : Number(values.rounds);
  for (let r = 0; r < rounds; r++) variants.forEach((v, i) => times[i]!.push(bench(v.path, v.raw)));
  const mean = times.map((t) => t.reduce((a, b) => a + b, 0) / t.length);
  console.log(`\n${base} (ORT CPU, ${values.threads} threads, ${values.rounds} rounds × ${values.runs} runs, interleaved)`);
  console.log(`| variant | mean ms | × FP32 | float nodes after ORT optimizer |${values.map ? ' mAP50-95 val100 |' : ''} file |`);
  console.log(`|---|---|---|---|${values.map ? '---|' : ''}---|`);
  for (const [i, v] of variants.entries()) {
    const g = await optimizedGraph(v.raw ? v.path : prepareModel(v.path).source);
    const kinds = Object.entries(g.floatOps)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ');
    const map = values.map ? ` ${await mapOf(v.path, v.raw)} |` : '';
    const timing = rounds > 0 ? `${mean[i]!.toFixed(2)} | ${(mean[i]! / mean[0]!).toFixed(2)}` : '— | —';
    console.log(`| ${v.name} | ${timing} | ${g.floatNodes} (${kinds}) |${map} ${v.path} |`);
  }
}
