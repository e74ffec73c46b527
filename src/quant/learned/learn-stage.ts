import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runPythonStage } from '../../brevitas/run-stage.js';
import { ensurePythonEnv, type PythonEnv } from '../../brevitas/venv.js';
import { listImages } from '../../data/images.js';
import { InputError } from '../../errors.js';
import { mainGraph } from '../../onnx/ir/graph.js';
import { toFloat32 } from '../../onnx/ir/tensor.js';
import { modelFromBytes } from '../../onnx/serde/model-io.js';
import type { OnProgress } from '../../util/progress.js';
import { detectFamily, modelSignature } from '../../yolo/detect.js';
import type { FamilyName } from '../../yolo/families/index.js';
import { drawSubset } from '../calibration/samples.js';
import type { QuantPlan } from '../plan.js';
import { planWorkingGraph } from '../working-graph.js';
import { jobPlanJson, writeLearnJob } from './job.js';
import { mergeLearnedCodes, readLearnedCodes } from './merge.js';

/**
 * The whole learned-rounding stage as one library call, shared by `yoloq learn`, `yoloq quantize --recipe learned`
 * and the run's learned-* variants: job folder (job.ts) → `python -m yoloq_brevitas.learned` → merged plan
 * (merge.ts). Same model bytes, plan, images and options give the same plan, byte for byte (on the CPU).
 */

export interface LearnOptions {
  /** Adam steps per block (0: the plan comes back unchanged). */
  iters: number;
  /** Images per step. */
  batch: number;
  /** Seeds the Python stage's batches and QDrop (the image draw is the caller's, see `learnImages`). */
  seed: number;
  /** Learning rate of the rounding variables; absent: the stage's default (0.05). */
  lr?: number;
  /** A8 plans: probability of skipping an activation quantizer while learning; absent: the stage's (0.5). */
  qdrop?: number;
  /** auto | cpu | cuda | cuda:N. */
  device: string;
  /** PyTorch threads (0: its choice). */
  threads: number;
  /** Quantized Convs per block when node names carry no module path. */
  blockSize: number;
  /** Block loss: 'mse' (plain squared error of the block outputs) or 'output' (weighted by the error's effect on detections). */
  loss: LearnLoss;
}

export const LEARN_LOSSES = Object.freeze(['mse', 'output'] as const);
export type LearnLoss = (typeof LEARN_LOSSES)[number];

export function checkLoss(loss: string, option = '--loss'): LearnLoss {
  if (!(LEARN_LOSSES as readonly string[]).includes(loss)) throw new InputError(`${option} ${loss}: expected ${LEARN_LOSSES.join(' or ')}`);
  return loss as LearnLoss;
}

/** `yoloq learn`'s defaults; every caller starts from these. */
export const LEARN_DEFAULTS: Readonly<LearnOptions & { count: number }> = Object.freeze({
  iters: 200,
  batch: 4,
  seed: 0,
  device: 'auto',
  threads: 0,
  blockSize: 4,
  loss: 'mse',
  count: 64,
});

export function checkDevice(device: string, option = '--device'): string {
  if (!/^(auto|cpu|cuda(:\d+)?)$/.test(device)) throw new InputError(`${option} ${device}: expected auto, cpu, cuda or cuda:N`);
  return device;
}

/** One block of the Python stage's result.json. */
export interface LearnBlockRecord {
  name: string;
  weights: number;
  /** Absent when the block was not learned (`reason` says why). */
  lossBefore?: number;
  lossAfter?: number;
  sqnrBefore?: number | null;
  sqnrAfter?: number | null;
  codesChanged?: number;
  kept: 'learned' | 'plan';
  reason?: string;
  seconds: number;
}

/** result.json of the Python stage. */
export interface LearnStageResult {
  iterations: number;
  batch: number;
  images: number;
  seed: number;
  qdrop: number;
  /** The block loss ('mse' or 'output'). */
  loss: LearnLoss;
  device: string;
  blocks: LearnBlockRecord[];
  seconds: number;
}

export interface LearnRequest {
  /** The float model the plan was made for. */
  modelBytes: Uint8Array;
  plan: QuantPlan;
  /** The images to learn on, already drawn (`learnImages`). */
  images: readonly string[];
  /** When auto-detection cannot tell the family (it sets the letterbox). */
  family?: FamilyName;
  options: LearnOptions;
  /** Keep the job folder here (emptied first); absent: a temporary folder, removed afterwards. */
  workDir?: string;
  /** The Python stage; absent: `ensurePythonEnv` (installs the venv when it is not current). */
  python?: PythonEnv;
  /** Counted stages: "installing the Python stage", "preprocessing" (images), "learning" (steps over all blocks). */
  onProgress?: OnProgress;
  /** The Python stage's log lines. */
  onLog?: (line: string) => void;
}

export interface LearnOutcome {
  /** The plan with the learned codes; weights whose codes did not change are left exactly as they were. */
  plan: QuantPlan;
  /** Weights whose codes changed. */
  changed: number;
  result: LearnStageResult;
  /** Images that could not be read, left out of the job. */
  skipped: Array<{ path: string; reason: string }>;
}

/**
 * The images a learning run uses: a seeded draw of `count` from a folder (sorted by name) or from explicit paths, the
 * draw `yoloq learn --calib DIR --calib-count N --seed S` makes.
 */
export function learnImages(source: string | readonly string[], count: number, seed: number): string[] {
  const all = typeof source === 'string' ? listImages(source) : [...source];
  if (all.length === 0) throw new InputError(`no images found in ${typeof source === 'string' ? source : 'the calibration list'}`);
  return drawSubset(all, count, seed);
}

function stageArgv(dir: string, o: LearnOptions): string[] {
  return [
    ...['--job', dir, '--iters', String(o.iters), '--batch', String(o.batch), '--seed', String(o.seed)],
    ...['--device', o.device, '--threads', String(o.threads), '--loss', o.loss],
    ...(o.lr !== undefined ? ['--lr', String(o.lr)] : []),
    ...(o.qdrop !== undefined ? ['--qdrop', String(o.qdrop)] : []),
  ];
}

/** What `prepareLearnJob` needs: the learning request less the Python stage. */
export type LearnJobSpec = Omit<LearnRequest, 'python' | 'onLog' | 'workDir'>;

/**
 * Write the job folder `dir` (emptied first) and return the Python stage's arguments for it: the first half of
 * `learnRounding`, for learning on another machine (one with a GPU and PyTorch but no Node, say). There, in
 * yoloq's python/ folder, `python -m yoloq_brevitas.learned <argv>` learns; `finishLearnJob` merges what it wrote.
 */
export async function prepareLearnJob(
  req: LearnJobSpec,
  dir: string,
): Promise<{ argv: string[]; skipped: Array<{ path: string; reason: string }> }> {
  const progress: OnProgress = req.onProgress ?? (() => undefined);
  const model = modelFromBytes(req.modelBytes);
  const detected = detectFamily(modelSignature(model), req.family ? { family: req.family } : {});
  const job = await writeLearnJob({
    modelBytes: req.modelBytes,
    plan: req.plan,
    images: req.images,
    letterbox: detected.adapter.letterboxOptions(detected.input),
    family: detected.family,
    dir,
    blocks: { fallbackSize: req.options.blockSize },
    output: detected.adapter.outputLayout,
    onProgress: (d, t) => progress('preprocessing', d, t),
  });
  return { argv: stageArgv(dir, req.options), skipped: [...job.images.skipped] };
}

/**
 * The second half of `learnRounding`: the plan with the codes the Python stage wrote into the job folder `dir`.
 * InputError when the stage has not finished there, or when the job was written for another plan or model (its
 * plan.json must be exactly the one `prepareLearnJob` writes for these).
 */
export function finishLearnJob(modelBytes: Uint8Array, plan: QuantPlan, dir: string): Omit<LearnOutcome, 'skipped'> {
  const model = modelFromBytes(modelBytes);
  const work = planWorkingGraph(model, plan);
  const file = (name: string) => join(dir, name);
  for (const name of ['plan.json', 'result.json', 'codes.safetensors'])
    if (!existsSync(file(name)))
      throw new InputError(
        `${dir}: no ${name}${name === 'plan.json' ? ' (not a learning job)' : ' (the Python stage has not finished there)'}`,
      );
  if (readFileSync(file('plan.json'), 'utf8') !== jobPlanJson(work, plan))
    throw new InputError(`${dir}: the job was written for another plan or model than the ones given`);
  const result = JSON.parse(readFileSync(file('result.json'), 'utf8')) as LearnStageResult;
  const learned = readLearnedCodes(readFileSync(file('codes.safetensors')));
  const inits = new Map(mainGraph(work).initializers.map((t) => [t.name, t]));
  const merged = mergeLearnedCodes(
    plan,
    learned,
    {
      iterations: result.iterations,
      batch: result.batch,
      images: result.images,
      seed: result.seed,
      qdrop: result.qdrop,
      ...(result.loss === 'output' ? { loss: 'output' as const } : {}),
    },
    (name) => toFloat32(inits.get(name)!),
  );
  return { plan: merged.plan, changed: merged.changed, result };
}

/** Learn the plan's rounding (see the file comment). InputError when the plan does not fit the model. */
export async function learnRounding(req: LearnRequest): Promise<LearnOutcome> {
  const progress: OnProgress = req.onProgress ?? (() => undefined);
  const work = req.workDir ? resolve(req.workDir) : mkdtempSync(join(tmpdir(), 'yoloq-learn-'));
  try {
    const job = await prepareLearnJob(req, work);
    const py = req.python ?? (await ensurePythonEnv({ onLog: (l) => progress('installing the Python stage', 0, 0, l.slice(0, 60)) }));
    const steps = Math.max(1, req.options.iters);
    await runPythonStage(py, job.argv, {
      module: 'yoloq_brevitas.learned',
      onProgress: (e) =>
        progress(
          'learning',
          // "learn" events count steps over all blocks; "block" events count blocks.
          e.stage === 'learn' ? e.step : e.step * steps,
          e.stage === 'learn' ? e.total : e.total * steps,
          typeof e.block === 'string' ? e.block : undefined,
        ),
      ...(req.onLog ? { onLog: req.onLog } : {}),
    });
    return { ...finishLearnJob(req.modelBytes, req.plan, work), skipped: job.skipped };
  } finally {
    if (!req.workDir) rmSync(work, { recursive: true, force: true });
  }
}

/** Per-block SQNR lines of a learning run (dB; ∞ for an exact block, – for one not learned). */
export function formatLearnBlocks(r: LearnStageResult, indent = '  '): string[] {
  const db = (x: number | null | undefined) => (x === undefined ? '–' : x === null ? '∞' : x.toFixed(1));
  return r.blocks.map(
    (b) =>
      `${indent}${b.name.padEnd(28)} ${String(b.weights).padStart(2)} weights  SQNR ${db(b.sqnrBefore).padStart(5)} → ${db(b.sqnrAfter).padStart(5)} dB  ${b.codesChanged ?? 0} codes changed${b.kept === 'plan' ? ` (kept the plan: ${b.reason ?? 'no gain'})` : ''}`,
  );
}
