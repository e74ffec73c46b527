import { join, relative } from 'node:path';
import { oneLine } from '../errors.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { buildFloatVariant, buildPtqVariant, type BuildRecord } from './build-variant.js';
import { stagesInline } from '../quant/stage-timer.js';
import type { RunConfig, VariantSpec } from './config.js';
import type { RunInputs } from './inputs.js';
import { measureAccuracy, measureLatency, measureSize, type BenchRecord, type EvalRecord, type MeasureDeps } from './measure.js';
import type { PythonProbe } from './python-stage.js';
import { buildQatVariant } from './qat-variant.js';
import { buildLearnedVariant } from './learned-variant.js';
import { pythonEnvOf } from './python-stage.js';
import { LEARN_DEFAULTS, learnImages, type LearnOptions } from '../quant/learned/learn-stage.js';
import { recipeFor } from '../quant/algorithms/recipe.js';
import { SCHEMES, schemeNeedsCalibration } from '../quant/scheme.js';
import { sidecarPath } from '../quant/plan-file.js';
import { fileSha256, readStage, stageKey, writeStage, type RunPaths } from './run-folder.js';
import type { VariantRow } from './summary.js';
import type { OnProgress } from '../util/progress.js';
import { skippedImagesLine } from '../data/skipped.js';

/**
 * One variant through its three resumable stages — build, eval, bench — then its summary row
 * (metrics/<id>.json). A stage whose record has the same key is not redone; `events` says what ran and what was
 * reused, for the log and for tests.
 */

export interface VariantContext {
  cfg: RunConfig;
  inputs: RunInputs;
  paths: RunPaths;
  repoRoot: string;
  deps: MeasureDeps;
  /** Probed once, when a QAT variant asks for it. */
  python: () => PythonProbe;
  progress: OnProgress;
  /** Unreadable evaluation images are errors, not skips (`--strict`). */
  strict?: boolean;
  event: (stage: string, action: 'ran' | 'reused' | 'skipped' | 'failed', detail?: string) => void;
}

/** What a variant's build depends on: the same key means the same files (the build is then reused). */
function buildKey(spec: VariantSpec, c: VariantContext): string {
  const planned = spec.kind === 'ptq' || spec.kind === 'learned';
  const usesCalibration =
    spec.kind === 'qat' ||
    spec.kind === 'learned' ||
    (spec.kind === 'ptq' && (schemeNeedsCalibration(spec.scheme) || c.cfg.recipe !== 'none'));
  const recipe = spec.kind === 'learned' ? 'default' : c.cfg.recipe;
  return stageKey({
    source: c.inputs.sourceSha256,
    spec,
    recipe: planned ? { name: recipe, steps: recipeFor(recipe, SCHEMES[spec.scheme].weightBits) } : null,
    calib: usesCalibration ? c.inputs.calibKey : null,
    ep: c.cfg.ep,
    qatSteps: spec.kind === 'qat' ? c.cfg.qatSteps : null,
    // Only with a target, so runs without one keep their keys (and resume).
    ...(c.cfg.target && planned ? { target: c.cfg.target } : {}),
    ...(spec.kind === 'learned' ? { learn: learnOptions(c), seed: c.cfg.seed } : {}),
  });
}

function planFiles(spec: VariantSpec, c: VariantContext): string[] {
  return spec.kind === 'ptq' || spec.kind === 'learned' ? [c.paths.plan(spec.id), sidecarPath(c.paths.plan(spec.id))] : [];
}

/** `yoloq learn`'s defaults, with the run's steps, seed and threads. */
function learnOptions(c: VariantContext): LearnOptions {
  const { count: _count, ...defaults } = LEARN_DEFAULTS;
  return { ...defaults, iters: c.cfg.learnIters, seed: c.cfg.seed, threads: c.cfg.threads };
}

/** The run's PTQ variant of the same scheme and format, when the default recipe made its plan and it is built. */
function reusablePlan(spec: Extract<VariantSpec, { kind: 'learned' }>, c: VariantContext): { id: string; path: string } | undefined {
  if (c.cfg.recipe !== 'default') return undefined;
  const ptq = c.cfg.variants.find((v) => v.kind === 'ptq' && v.scheme === spec.scheme && v.format === spec.format);
  if (!ptq || !readStage(c.paths.metrics(ptq.id, 'build'), buildKey(ptq, c), [c.paths.onnx(ptq.id), ...planFiles(ptq, c)]))
    return undefined;
  return { id: ptq.id, path: c.paths.plan(ptq.id) };
}

async function build(spec: VariantSpec, c: VariantContext): Promise<BuildRecord> {
  const onnx = c.paths.onnx(spec.id);
  const rec = c.paths.metrics(spec.id, 'build');
  const key = buildKey(spec, c);
  const done = readStage<BuildRecord>(rec, key, [onnx, ...planFiles(spec, c)]);
  if (done) {
    c.event('build', 'reused');
    return done;
  }
  const ctx = {
    sourcePath: c.inputs.sourcePath,
    sourceBytes: c.inputs.sourceBytes,
    ep: c.cfg.ep,
    recipe: c.cfg.recipe,
    threads: c.cfg.threads,
    onProgress: c.progress,
    ...(c.inputs.calibration ? { calibration: c.inputs.calibration } : {}),
    ...(c.cfg.target ? { target: c.cfg.target } : {}),
  };
  let record: BuildRecord;
  if (spec.kind === 'float') record = buildFloatVariant(ctx, { onnx });
  else if (spec.kind === 'ptq') record = await buildPtqVariant(spec, ctx, { onnx, plan: c.paths.plan(spec.id) });
  else if (spec.kind === 'learned') {
    const learn = learnOptions(c);
    const calib = c.inputs.calibration!;
    const base = reusablePlan(spec, c);
    record = await buildLearnedVariant({
      spec,
      ctx,
      out: { onnx, plan: c.paths.plan(spec.id) },
      ...(base ? { basePlan: base } : {}),
      python: { ...pythonEnvOf(c.repoRoot), python: c.python().python },
      learn,
      images: learnImages(calib.images, calib.count ?? c.cfg.calibCount, calib.seed ?? c.cfg.seed),
    });
  } else {
    record = await buildQatVariant({
      repoRoot: c.repoRoot,
      python: c.python().python,
      model: c.inputs.trainableModel,
      sourceBytes: c.inputs.sourceBytes,
      calibration: c.inputs.calibration!,
      workDir: join(c.paths.root, 'qat'),
      out: onnx,
      ep: c.cfg.ep,
      steps: c.cfg.qatSteps,
      seed: c.cfg.seed,
      threads: c.cfg.threads,
      onProgress: c.progress,
    });
  }
  writeStage(rec, key, record);
  const learned = record.learned
    ? `; learned from ${record.learned.planFrom === 'built' ? 'its own plan' : `${record.learned.planFrom}'s plan`}, ${record.learned.changedWeights} weights re-rounded`
    : '';
  c.event(
    'build',
    'ran',
    `${record.seconds.toFixed(1)} s${record.stages?.length ? `: ${stagesInline(record.stages)}` : ''}${learned}${record.skippedImages?.length ? `; ${skippedImagesLine('calibration', record.skippedImages)}` : ''}`,
  );
  return record;
}

async function evaluate(spec: VariantSpec, sha: string, c: VariantContext): Promise<EvalRecord> {
  const rec = c.paths.metrics(spec.id, 'eval');
  const detections = c.paths.metrics(spec.id, 'detections');
  // Threads are part of the key: ORT's integer kernels give slightly different outputs with other thread counts.
  const key = stageKey({ model: sha, eval: c.inputs.evalKey, ep: c.cfg.ep, threads: c.cfg.threads });
  const done = readStage<EvalRecord>(rec, key, [detections]);
  if (done) {
    c.event('eval', 'reused');
    return done;
  }
  const t0 = performance.now();
  const r = await measureAccuracy(
    c.paths.onnx(spec.id),
    c.inputs.evalSet,
    detections,
    { ep: c.cfg.ep, threads: c.cfg.threads, workers: c.cfg.workers, onProgress: c.progress, ...(c.strict ? { strict: true } : {}) },
    c.deps,
  );
  writeStage(rec, key, r);
  c.event(
    'eval',
    'ran',
    `mAP ${r.stats[0]!.toFixed(4)}, ${((performance.now() - t0) / 1000).toFixed(1)} s${r.skippedImages?.length ? `; ${skippedImagesLine('evaluation', r.skippedImages)}` : ''}`,
  );
  return r;
}

async function bench(spec: VariantSpec, sha: string, c: VariantContext): Promise<BenchRecord> {
  const rec = c.paths.metrics(spec.id, 'bench');
  const key = stageKey({ model: sha, ep: c.cfg.ep, threads: c.cfg.threads, warmup: c.cfg.warmup, runs: c.cfg.runs });
  const done = readStage<BenchRecord>(rec, key);
  if (done) {
    c.event('bench', 'reused');
    return done;
  }
  const r = await measureLatency(
    c.paths.onnx(spec.id),
    c.cfg.warmup,
    c.cfg.runs,
    { ep: c.cfg.ep, threads: c.cfg.threads, onProgress: c.progress },
    c.deps,
  );
  writeStage(rec, key, r);
  c.event('bench', 'ran', `mean ${r.latencyMs.mean.toFixed(2)} ms`);
  return r;
}

function skipped(spec: VariantSpec, status: 'skipped' | 'failed', reason: string): VariantRow {
  return { id: spec.id, name: spec.name, kind: spec.kind, status, reason };
}

export async function runVariant(spec: VariantSpec, c: VariantContext): Promise<VariantRow> {
  if (spec.kind === 'qat' || spec.kind === 'learned') {
    const py = c.python();
    if (!py.ok) return skipped(spec, 'skipped', `Python stage not available: ${py.reason ?? 'unknown'}`);
    if (!c.inputs.calibration)
      return skipped(spec, 'skipped', `${spec.kind === 'qat' ? 'QAT' : 'learned rounding'} needs calibration images (--calib)`);
  }
  let b: BuildRecord;
  try {
    b = await build(spec, c);
  } catch (e) {
    c.event('build', 'failed', oneLine(e));
    return skipped(spec, 'failed', `build failed: ${oneLine(e)}`);
  }
  const onnx = c.paths.onnx(spec.id);
  const sha = fileSha256(onnx);
  const ev = await evaluate(spec, sha, c);
  const be = await bench(spec, sha, c);
  const size = measureSize(onnx);
  const row: VariantRow = {
    id: spec.id,
    name: spec.name,
    kind: spec.kind,
    status: 'done',
    file: relative(c.paths.root, onnx),
    ...(b.scheme ? { scheme: b.scheme } : {}),
    ...(b.format ? { format: b.format } : {}),
    ...(b.observers ? { observers: b.observers } : {}),
    stats: ev.stats,
    map: ev.stats[0]!,
    map50: ev.stats[1]!,
    imagesPerSecond: ev.imagesPerSecond,
    latencyMs: be.latencyMs,
    providers: be.providers,
    sizeBytes: size.bytes,
    percentConvParamsAt4Bits: size.percentConvParamsAt4Bits,
    ...(size.bitsPerWeight !== undefined ? { bitsPerWeight: size.bitsPerWeight } : {}),
  };
  writeFileAtomic(
    c.paths.metrics(spec.id),
    `${JSON.stringify({ ...row, sha256: sha, build: b, eval: { ...ev, perClass: ev.perClass }, bench: be, size }, null, 1)}\n`,
  );
  return row;
}
