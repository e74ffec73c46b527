import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { resolveConfig } from '../../src/pipeline/config.js';
import { LIBRARY_MEASURES, type MeasureDeps } from '../../src/pipeline/measure.js';
import { runPipeline, type RunResult } from '../../src/pipeline/run-pipeline.js';
import type { BenchResult } from '../../src/runtime/bench.js';
import { chromiumAvailable, renderPage } from '../helpers/chromium.js';
import { runCli } from '../helpers/cli.js';
import { repoRoot } from '../helpers/paths.js';

/**
 * End to end on the embedded default model and a small synthetic set: the run folder's contents, the summary's
 * numbers against `yoloq eval` and `yoloq inspect` on the same files, latency from the library's benchmark, a
 * second run that reuses every finished stage, a QAT variant reported as skipped when the Python stage is
 * absent, and the report rendered in headless Chromium.
 */

const dir = mkdtempSync(join(tmpdir(), 'yoloq-run-'));
process.env.YOLOQ_CACHE_DIR = join(dir, 'cache');
process.env.YOLOQ_PYTHON = join(dir, 'no-python-here');
const out = join(dir, 'run');

const benchResults: BenchResult[] = [];
let evalCalls = 0;
const deps: MeasureDeps = {
  evaluateModel: async (...a) => {
    evalCalls++;
    return LIBRARY_MEASURES.evaluateModel(...a);
  },
  benchmark: async (...a) => {
    const r = await LIBRARY_MEASURES.benchmark(...a);
    benchResults.push(r);
    return r;
  },
  measurePlacement: LIBRARY_MEASURES.measurePlacement,
};

const config = resolveConfig({
  variants: 'fp32,w4a8,qat-w4a8',
  'synthetic-val': 6,
  'synthetic-calib': 4,
  'calib-count': 4,
  warmup: 1,
  runs: 3,
  'sensitivity-images': 2,
  'overlay-images': 2,
  threads: 1,
});
let first: RunResult;
/** Every progress call of the first run: [stage, done, total]. */
const progress: Array<[string, number, number]> = [];
let firstRun: Promise<RunResult> | undefined;
/** The first run, made once by whichever test needs it first (so any test can also run alone). */
async function runOnce(): Promise<RunResult> {
  first = await (firstRun ??= runPipeline({ config, output: out, repoRoot, deps, onProgress: (s, d, t) => progress.push([s, d, t]) }));
  return first;
}

function metrics(
  id: string,
): Record<string, unknown> & { stats: number[]; sizeBytes: number; percentConvParamsAt4Bits: number; latencyMs: { mean: number } } {
  return JSON.parse(readFileSync(join(out, 'metrics', `${id}.json`), 'utf8'));
}

test('a run writes the run folder: models, plans, metrics, summary, report, config and environment snapshots, log', async () => {
  await runOnce();
  for (const f of [
    'onnx/fp32.onnx',
    'onnx/w4a8.onnx',
    'plans/w4a8.json',
    'plans/w4a8.safetensors',
    'metrics/fp32.json',
    'metrics/w4a8.json',
    'metrics/w4a8.eval.json',
    'metrics/w4a8.bench.json',
    'metrics/w4a8.detections.json',
    'metrics/sensitivity.json',
    'summary.md',
    'report.html',
    'config.json',
    'environment.json',
    'logs/run.log',
  ]) {
    assert.ok(existsSync(join(out, f)), `${f} is missing`);
  }
  assert.deepEqual(
    first.rows.map((r) => [r.id, r.status]),
    [
      ['fp32', 'done'],
      ['w4a8', 'done'],
      ['qat-w4a8', 'skipped'],
    ],
  );
  const md = readFileSync(first.summary, 'utf8');
  assert.match(
    md,
    /\| variant \| mAP50-95 \| mAP50 \| Δ vs FP \| mean ms \| p90 ms \| providers \| size MB \| % of Conv params at 4 bits \|/,
  );
  assert.match(md, /qat-w4a8 skipped: Python stage not available/);
  // The observers the w4a8 plan chose (range search), counted, not the option's name.
  assert.match(
    md,
    /- Activation ranges, counted by the observer that set each \(what each plan chose\): w4a8 (minmax|percentile|mse|entropy) \d+/,
  );
  const env = JSON.parse(readFileSync(join(out, 'environment.json'), 'utf8')) as {
    node: string;
    onnxruntime: string;
    python: object;
    cpu: { cores: number };
  };
  assert.equal(env.node, process.version);
  assert.match(env.onnxruntime, /^\d+\.\d+/);
  assert.ok(env.cpu.cores > 0);
  const fp = first.rows[0]!;
  assert.ok(fp.map! > 0.3, `the embedded model detects (mAP ${fp.map})`);
  assert.ok((first.rows[1]!.percentConvParamsAt4Bits ?? 0) > 50);
});

test('progress names each variant and stage with its count: images, layers, runs', async () => {
  await runOnce();
  const totals = new Map(progress.map(([s, , t]) => [s, t]));
  assert.equal(totals.get('[1/3] fp32 evaluating'), 6);
  assert.equal(totals.get('[1/3] fp32 timed runs'), 3);
  assert.equal(totals.get('[2/3] w4a8 hessians'), 4, 'one unit per calibration image');
  assert.equal(totals.get('[2/3] w4a8 calibrating'), 4);
  assert.ok((totals.get('[2/3] w4a8 correcting') ?? 0) > 0);
  assert.ok((totals.get('[2/3] w4a8 range search') ?? 0) > 4);
  assert.ok((totals.get('sensitivity') ?? 0) > 0);
  assert.ok(totals.has('report'));
  for (const [stage, done, total] of progress) assert.ok(done <= total || total === 0, `${stage} ${done}/${total}`);
});

test("the summary's mAP and sizes are what `yoloq eval` and `yoloq inspect` give for the same files", async () => {
  await runOnce();
  const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { syntheticVal: number };
  const split = join(process.env.YOLOQ_CACHE_DIR!, 'synthetic-v1', `val-seed0-n${cfg.syntheticVal}`);
  for (const id of ['fp32', 'w4a8']) {
    const m = metrics(id);
    const model = join(out, 'onnx', `${id}.onnx`);
    const ev = runCli([
      'eval',
      '--model',
      model,
      '--coco',
      join(split, 'annotations', 'instances_val.json'),
      '--images',
      join(split, 'images', 'val'),
      '--detections',
      join(dir, `${id}.det.json`),
      '--threads',
      String(config.threads),
      '--json',
    ]);
    assert.equal(ev.code, 0, ev.stderr);
    assert.deepEqual((JSON.parse(ev.stdout) as { statsArray: number[] }).statsArray, m.stats);
    const ins = runCli(['inspect', model, '--json']);
    assert.equal(ins.code, 0, ins.stderr);
    const report = JSON.parse(ins.stdout) as { fileBytes: number; conv: { percentAt4Bits: number } };
    assert.equal(report.fileBytes, m.sizeBytes);
    assert.equal(report.conv.percentAt4Bits, m.percentConvParamsAt4Bits);
  }
});

test("latency comes from the library benchmark (what `yoloq bench` calls), with the run's warm-up and runs", async () => {
  await runOnce();
  assert.equal(benchResults.length, 2);
  for (const [k, id] of ['fp32', 'w4a8'].entries()) {
    assert.deepEqual(metrics(id).latencyMs, benchResults[k]!.latencyMs);
    assert.equal(benchResults[k]!.runs, 3);
    assert.equal(benchResults[k]!.warmup, 1);
  }
});

test('a second run redoes nothing that finished, the report included', async () => {
  await runOnce();
  const before = statSync(join(out, 'onnx', 'w4a8.onnx')).mtimeMs;
  const reportBefore = statSync(join(out, 'report.html')).mtimeMs;
  const calls = [evalCalls, benchResults.length];
  const second = await runPipeline({ config, output: out, repoRoot, deps });
  assert.deepEqual([evalCalls, benchResults.length], calls);
  const stages = second.events.filter((e) => ['build', 'eval', 'bench', 'sensitivity'].includes(e.stage));
  assert.equal(stages.length, 7);
  assert.ok(
    stages.every((e) => e.action === 'reused'),
    JSON.stringify(stages),
  );
  assert.equal(statSync(join(out, 'onnx', 'w4a8.onnx')).mtimeMs, before);
  assert.deepEqual(
    second.rows.map((r) => r.map),
    first.rows.map((r) => r.map),
  );
  assert.match(readFileSync(join(out, 'logs', 'run.log'), 'utf8'), /w4a8 build reused/);
  assert.deepEqual(
    second.events.filter((e) => e.stage === 'report').map((e) => e.action),
    ['reused'],
  );
  assert.equal(statSync(join(out, 'report.html')).mtimeMs, reportBefore);
  assert.deepEqual(
    first.events.filter((e) => e.stage === 'report').map((e) => e.action),
    ['ran'],
  );
});

test('report.html renders in headless Chromium: not blank, no console errors, no requests', {
  skip: chromiumAvailable() ? false : 'skipped: /usr/bin/chromium is absent (apt-get install -y chromium)',
}, async () => {
  await runOnce();
  const r = await renderPage(first.report);
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.requests, []);
  const stats = await sharp(r.png).stats();
  assert.ok(
    stats.channels.some((c) => c.stdev > 10),
    'screenshot is blank',
  );
  assert.ok(!stats.isOpaque || stats.channels[0]!.mean < 254, 'screenshot is all white');
});
