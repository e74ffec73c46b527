import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCocoGroundTruth } from '../data/coco-json.js';
import { checkOutputFolder, sweepStaleTemps, writeFileAtomic } from '../io/atomic-write.js';
import { lockFolder, type LockHolder } from '../io/folder-lock.js';
import { modelFromBytes } from '../onnx/serde/model-io.js';
import { sensitivityInputs, sensitivityTarget } from '../quant/policy/sensitivity-budget.js';
import { measureSensitivity, type LayerSensitivity } from '../quant/policy/sensitivity.js';
import { findQuantTargets } from '../quant/policy/targets.js';
import { planWeightsRtn } from '../quant/policy/weight-policy.js';
import { openCalibration } from '../quant/calibration/samples.js';
import { workingGraph } from '../quant/working-graph.js';
import { SCHEMES } from '../quant/scheme.js';
import type { CocoDetection } from '../yolo/predict.js';
import type { OnProgress } from '../util/progress.js';
import type { RunConfig } from './config.js';
import { snapshotEnvironment, type Environment } from './environment.js';
import { resolveInputs, type RunInputs } from './inputs.js';
import { LIBRARY_MEASURES, type EvalRecord, type MeasureDeps } from './measure.js';
import { probePython, type PythonProbe } from './python-stage.js';
import { reportHtml } from './report/html.js';
import { recordReport, reportIsCurrent, variantFacts } from './report-stage.js';
import { makeOverlays } from './report/overlays.js';
import { readStage, RunLog, runPaths, stageKey, writeStage, type RunPaths } from './run-folder.js';
import { runVariant } from './run-variant.js';
import { graphBeforeTopK } from '../quant/policy/sensitivity-graph.js';
import { fpReference, summaryMarkdown, type SummaryContext, type VariantRow } from './summary.js';

/**
 * `yoloq run` as a library call: every variant built, evaluated and benchmarked into a run folder (see
 * run-folder.ts), then summary.md and report.html. Resumable stage by stage; progress goes to `onProgress` and,
 * stage by stage, to logs/run.log and `onStage`.
 */

export interface RunOptions {
  config: RunConfig;
  /** The run folder. */
  output: string;
  /** The --config file as given, copied into the run folder. */
  configFile?: string;
  repoRoot: string;
  deps?: MeasureDeps;
  /** Every long stage, counted: "[4/5] w4a16 hessians" 12 of 64, "sensitivity", "report" (see src/util/progress.ts). */
  onProgress?: OnProgress;
  /** Unreadable images are errors (calibration and evaluation) instead of skips. Not part of any stage key. */
  strict?: boolean;
  /** One line per finished stage ("w4a8 build ran 3.1 s", "fp32 eval reused"). */
  onStage?: (line: string) => void;
  /** When another process holds the run folder: wait for it (default: an InputError naming it). */
  wait?: boolean;
  /** Called once when the run starts waiting for the folder's holder. */
  onWait?: (holder: LockHolder) => void;
}

export interface StageEventRecord {
  variant: string;
  stage: string;
  action: 'ran' | 'reused' | 'skipped' | 'failed';
  detail?: string;
}

export interface RunResult {
  root: string;
  rows: VariantRow[];
  events: StageEventRecord[];
  summary: string;
  report: string;
  seconds: number;
}

async function sensitivityStage(
  cfg: RunConfig,
  inputs: RunInputs,
  paths: RunPaths,
  progress: OnProgress,
): Promise<{ layers: LayerSensitivity[]; images: number; reused: boolean } | undefined> {
  if (cfg.sensitivityImages === 0 || !inputs.calibration) return undefined;
  const rec = join(paths.root, 'metrics', 'sensitivity.json');
  const key = stageKey({
    source: inputs.sourceSha256,
    calib: inputs.calibKey,
    images: cfg.sensitivityImages,
    bits: 4,
    noise: 'field-groups',
  });
  const done = readStage<{ layers: LayerSensitivity[]; images: number }>(rec, key);
  if (done) return { ...done, reused: true };
  const work = workingGraph(modelFromBytes(inputs.sourceBytes));
  const feeds = await sensitivityInputs(openCalibration(work, inputs.calibration), cfg.sensitivityImages);
  const cut = graphBeforeTopK(work);
  const candidates = planWeightsRtn(findQuantTargets(cut), SCHEMES.w4a16).weights.filter((d) => d.opType === 'Conv');
  // Candidates are the cut graph's own layers, so the target is that cut graph.
  const { measured, fields } = sensitivityTarget(work, candidates);
  const layers = await measureSensitivity(measured, candidates, feeds, {
    bits: 4,
    fields,
    threads: cfg.threads,
    onProgress: (d, t) => progress('sensitivity', d, t),
  });
  // JSON has no Infinity: a layer that 4 bits leave unchanged is stored with sqnrDb null (the report shows ∞).
  writeStage(rec, key, { layers, images: feeds.length });
  return { layers, images: feeds.length, reused: false };
}

function readDetections(paths: RunPaths, id: string): CocoDetection[] {
  const f = paths.metrics(id, 'detections');
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as CocoDetection[]) : [];
}

/** The 4-bit variant the overlays compare with FP: w4a8 when built, else another W4A8, else any 4-bit one. */
function overlayVariant(rows: readonly VariantRow[]): VariantRow | undefined {
  const done = rows.filter((r) => r.status === 'done');
  return done.find((r) => r.id === 'w4a8') ?? done.find((r) => r.scheme === 'w4a8') ?? done.find((r) => r.scheme?.startsWith('w4'));
}

async function writeReport(
  o: RunOptions,
  inputs: RunInputs,
  paths: RunPaths,
  rows: VariantRow[],
  env: Environment,
  sens: Awaited<ReturnType<typeof sensitivityStage>>,
  ctx: SummaryContext,
  notes: string[],
): Promise<'ran' | 'reused'> {
  const facts = variantFacts(paths, rows);
  const shown = {
    title: ctx.title,
    rows,
    notes,
    facts,
    sensitivity: sens ? { layers: sens.layers, images: sens.images } : null,
    environment: env,
    config: o.config,
    evalKey: inputs.evalKey,
    model: inputs.sourcePath,
  };
  if (reportIsCurrent(paths, shown)) return 'reused';
  const evals = rows
    .filter((r) => r.status === 'done')
    .map((r) => ({
      variant: r.id,
      perClass: (JSON.parse(readFileSync(paths.metrics(r.id, 'eval'), 'utf8')) as { data: EvalRecord }).data.perClass,
    }));
  const fp = fpReference(rows);
  const q = overlayVariant(rows);
  const compared = [fp, q].filter((r): r is VariantRow => r !== undefined);
  const full = await readCocoGroundTruth(inputs.evalSet.coco);
  const images = inputs.evalSet.maxImages ? full.images.slice(0, inputs.evalSet.maxImages) : full.images;
  const ids = new Set(images.map((im) => im.id));
  const gt = { ...full, images, annotations: full.annotations.filter((a) => ids.has(a.imageId)) };
  const files = new Map(images.map((im) => [im.id, join(inputs.evalSet.images, im.fileName)]));
  const overlays = await makeOverlays({
    gt,
    pathOf: (id) => files.get(id)!,
    detections: compared.map((r) => ({ variant: r.id, detections: readDetections(paths, r.id) })),
    count: o.config.overlayImages,
    minScore: 0.25,
  });
  const overlayNote =
    compared.length < 2
      ? 'FP vs W4A8 overlays need both an fp32 and a 4-bit variant in the run.'
      : `${compared.map((r) => r.id).join(' vs ')}: detections with score ≥ 0.25 (ultralytics' display default) on ${overlays.length} evaluation images (those with the most objects).`;
  writeFileAtomic(
    paths.report,
    reportHtml({
      title: ctx.title,
      generated: new Date().toISOString(),
      rows,
      notes,
      perClass: evals,
      ...(sens ? { sensitivity: { layers: sens.layers, images: sens.images } } : {}),
      overlays,
      overlayNote,
      environment: env,
      config: o.config,
      facts,
      ep: o.config.ep,
      model: inputs.sourcePath,
    }),
  );
  recordReport(paths, shown);
  return 'ran';
}

function summaryNotes(md: string): string[] {
  return md
    .split('\n')
    .filter((l) => l.startsWith('- '))
    .map((l) => l.slice(2).replace(/`/g, ''));
}

/**
 * The run folder is checked for writability before any work, held by one process at a time (`.yoloq.lock`, which
 * dies with its process: a second `yoloq run` on the folder says who holds it, or waits with `wait`), and cleared
 * of the temporary files a killed run left behind.
 */
export async function runPipeline(o: RunOptions): Promise<RunResult> {
  checkOutputFolder(o.output, 'run folder');
  const lock = await lockFolder(o.output, {
    what: 'run folder',
    command: 'yoloq run',
    ...(o.wait ? { wait: true } : {}),
    ...(o.onWait ? { onWait: o.onWait } : {}),
  });
  try {
    sweepStaleTemps(o.output, { recursive: true });
    return await runLocked(o);
  } finally {
    lock.release();
  }
}

async function runLocked(o: RunOptions): Promise<RunResult> {
  const t0 = performance.now();
  const cfg = o.config;
  const paths = runPaths(o.output);
  const events: StageEventRecord[] = [];
  const progress: OnProgress = o.onProgress ?? (() => undefined);
  // Inputs first: a missing file or a bad model is refused before anything is written.
  const resolved = await resolveInputs(cfg, paths, o.repoRoot, progress);
  const inputs: RunInputs =
    o.strict && resolved.calibration ? { ...resolved, calibration: { ...resolved.calibration, strict: true } } : resolved;
  mkdirSync(paths.root, { recursive: true });
  const log = new RunLog(paths.log);
  log.line(`yoloq run: variants ${cfg.variants.map((v) => v.id).join(', ')} on ${cfg.ep}`);
  writeFileAtomic(paths.config, `${JSON.stringify({ ...cfg, ...(o.configFile ? { configFile: o.configFile } : {}) }, null, 1)}\n`);
  if (o.configFile) writeFileAtomic(join(paths.root, 'run.yaml'), readFileSync(o.configFile));
  let probe: PythonProbe | undefined;
  const python = (): PythonProbe => (probe ??= probePython(o.repoRoot));
  const rows: VariantRow[] = [];
  for (const [i, spec] of cfg.variants.entries()) {
    const tag = `[${i + 1}/${cfg.variants.length}] ${spec.id}`;
    const row = await runVariant(spec, {
      cfg,
      inputs,
      paths,
      repoRoot: o.repoRoot,
      deps: o.deps ?? LIBRARY_MEASURES,
      python,
      progress: (stage, done, total, detail) => progress(`${tag} ${stage}`, done, total, detail),
      ...(o.strict ? { strict: true } : {}),
      event: (stage, action, detail) => {
        events.push({ variant: spec.id, stage, action, ...(detail ? { detail } : {}) });
        const line = `${tag} ${stage} ${action}${detail ? ` (${detail})` : ''}`;
        log.line(line);
        o.onStage?.(line);
      },
    });
    if (row.status !== 'done') {
      events.push({
        variant: spec.id,
        stage: 'variant',
        action: row.status === 'skipped' ? 'skipped' : 'failed',
        detail: row.reason ?? '',
      });
      log.line(`${tag} ${row.status}: ${row.reason ?? ''}`);
      o.onStage?.(`${tag} ${row.status}: ${row.reason ?? ''}`);
    }
    rows.push(row);
  }
  progress('sensitivity', 0, 0);
  const sens = await sensitivityStage(cfg, inputs, paths, progress);
  if (sens) {
    events.push({ variant: 'source', stage: 'sensitivity', action: sens.reused ? 'reused' : 'ran' });
    log.line(`sensitivity ${sens.reused ? 'reused' : 'ran'}`);
  }
  const env = snapshotEnvironment(python(), cfg.threads);
  writeFileAtomic(paths.environment, `${JSON.stringify(env, null, 1)}\n`);
  const evalImages = rows.find((r) => r.status === 'done')
    ? (JSON.parse(readFileSync(paths.metrics(rows.find((r) => r.status === 'done')!.id, 'eval'), 'utf8')) as { data: EvalRecord }).data
        .images
    : 0;
  const ctx: SummaryContext = {
    title: `yoloq run — ${inputs.isDefault ? 'embedded default model' : inputs.sourcePath}${cfg.target ? ` (target ${cfg.target})` : ''}`,
    dataset: inputs.datasetLabel,
    evalImages,
    ep: cfg.ep,
    threads: cfg.threads,
    warmup: cfg.warmup,
    runs: cfg.runs,
    recipe: cfg.recipe,
    wallSeconds: (performance.now() - t0) / 1000,
  };
  const md = summaryMarkdown(rows, ctx);
  writeFileAtomic(paths.summary, md);
  progress('report', 0, 0);
  // The report leaves out this invocation's wall time, so that a resumed run with nothing changed keeps its page.
  const { wallSeconds: _wall, ...stableCtx } = ctx;
  const report = await writeReport(o, inputs, paths, rows, env, sens, ctx, summaryNotes(summaryMarkdown(rows, stableCtx)));
  events.push({ variant: 'run', stage: 'report', action: report });
  log.line(`report ${report}`);
  o.onStage?.(`report ${report}`);
  const seconds = (performance.now() - t0) / 1000;
  log.line(`done in ${seconds.toFixed(1)} s: ${paths.summary}, ${paths.report}`);
  return { root: paths.root, rows, events, summary: paths.summary, report: paths.report, seconds };
}
