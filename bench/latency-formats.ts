/**
 * ORT CPU latency of every export format against the float model, for both shared models, one process per
 * variant (`yoloq bench --json` run as a child), so no variant warms another's caches. Prints each mean/p90 and
 * its ratio to the float model measured in the same run.
 *   npm run build && node dist/bench/latency-formats.js [--runs 50] [--threads 2] [--calib-count 16]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveModel } from '../src/onnx/serde/model-io.js';
import { applyPlan, makePlan } from '../src/workflow/quantize.js';
import { benchArgs } from './bench-args.js';

const { values } = benchArgs(import.meta.url, {
  runs: { type: 'string', default: '50' },
  threads: { type: 'string', default: '2' },
  'calib-count': { type: 'string', default: '16' },
  shared: { type: 'string', default: '../shared/data' },
});
const shared = values.shared!;
const train = join(shared, 'coco', 'train209', 'images');
const cli = join(process.cwd(), 'dist', 'src', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'yoloq-latency-'));

function bench(model: string, raw: boolean): { mean: number; p90: number } {
  const args = [
    cli,
    'bench',
    '--model',
    model,
    '--runs',
    values.runs!,
    '--warmup',
    '10',
    '--threads',
    values.threads!,
    '--json',
    ...(raw ? ['--raw'] : []),
  ];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bench ${model}: ${r.stderr}`);
  const j = JSON.parse(r.stdout);
  return { mean: j.latencyMs.mean, p90: j.latencyMs.p90 };
}

for (const file of ['yolox_nano.onnx', 'yolov5n_fp16.onnx']) {
  const src = join(shared, 'models', file);
  const bytes = readFileSync(src);
  const calibration = { images: train, count: Number(values['calib-count']) };
  const variants: Array<{ name: string; path: string; raw: boolean }> = [{ name: 'float (as shipped)', path: src, raw: true }];
  const w8a8 = await makePlan(bytes, { scheme: 'w8a8', calibration });
  const w8a8silu = await makePlan(bytes, { scheme: 'w8a8', calibration, siluPath: true });
  const w4a8 = await makePlan(bytes, { scheme: 'w4a8', calibration, siluPath: true });
  const w4a16 = await makePlan(bytes, { scheme: 'w4a16' });
  const add = (name: string, m: Parameters<typeof saveModel>[0], raw = false) => {
    const path = join(dir, `${file}-${name.replace(/[^a-z0-9]+/gi, '_')}.onnx`);
    saveModel(m, path);
    variants.push({ name, path, raw });
  };
  add('w8a8 qcdq', applyPlan(w8a8.work, w8a8.plan, { format: 'qcdq' }));
  add('w8a8 qdq', applyPlan(w8a8.work, w8a8.plan, { format: 'qdq' }));
  add('w8a8 qdq --silu-path', applyPlan(w8a8silu.work, w8a8silu.plan, { format: 'qdq' }));
  add('w4a8 qdq --silu-path', applyPlan(w4a8.work, w4a8.plan, { format: 'qdq' }));
  add('w4a8 int4 --silu-path, raw', applyPlan(w4a8.work, w4a8.plan, { format: 'int4' }), true);
  add('w4a8 int4 --silu-path, loaded by yoloq', applyPlan(w4a8.work, w4a8.plan, { format: 'int4' }));
  add('w4a16 int4 fp32-act, raw', applyPlan(w4a16.work, w4a16.plan, { format: 'int4', actDtype: 'fp32' }), true);
  add('w4a16 int4 fp32-act, loaded by yoloq', applyPlan(w4a16.work, w4a16.plan, { format: 'int4', actDtype: 'fp32' }));
  add('w4a16 int4 fp16-act (GPU graph)', applyPlan(w4a16.work, w4a16.plan, { format: 'int4', actDtype: 'fp16' }));
  const base = bench(src, true);
  console.log(`\n${file} (ORT CPU, ${values.threads} threads, ${values.runs} runs)`);
  console.log('| variant | mean ms | p90 ms | × float |');
  console.log('|---|---|---|---|');
  for (const v of variants) {
    const r = v.path === src ? base : bench(v.path, v.raw);
    console.log(`| ${v.name} | ${r.mean.toFixed(2)} | ${r.p90.toFixed(2)} | ${(r.mean / base.mean).toFixed(2)} |`);
  }
}
