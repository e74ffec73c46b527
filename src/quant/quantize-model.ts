import { InputError } from '../errors.js';
import { exportModel, type ExportFormat } from '../export/export-model.js';
import { sha256 } from '../export/resolve-plan.js';
import { DataType } from '../onnx/ir/dtypes.js';
import type { Model } from '../onnx/ir/graph.js';
import { changeFloatPrecision, scalesKeptFloat32 } from '../onnx/passes/float-precision.js';
import { shrinkBroadcastConstants } from '../onnx/passes/shrink-broadcast-constants.js';
import { modelFromBytes } from '../onnx/serde/model-io.js';
import type { ActivationMode } from './observers/activation-range.js';
import { planActivations } from './calibration/activation-plan.js';
import { calibrationSet, type CalibrationSource } from './calibration/samples.js';
import type { ObserverName, QuantPlan, SmoothingDecision } from './plan.js';
import { applySmoothing, planSmoothing } from './calibration/smoothing.js';
import { findQuantTargets } from './policy/targets.js';
import { planWeightsRtn, type WeightPolicyOptions } from './policy/weight-policy.js';
import { SCHEMES, type SchemeName } from './scheme.js';
import { searchActivationRanges } from './algorithms/range-search.js';
import { applyBudget, sensitivityInputs } from './policy/sensitivity-budget.js';
import { runWeightAlgorithm, type AlgorithmOptions, type WeightAlgorithm } from './algorithms/index.js';
import { correctPlan } from './algorithms/correction.js';

/**
 * The library side of `yoloq quantize`: FP model bytes → plan → quantized model(s). Plans are made on an FP32
 * working graph (FP16 models are converted, their FP16 interface kept), so one plan serves every format and both
 * W4A16 twins.
 */

export interface PlanRequest {
  scheme: SchemeName;
  weights?: WeightPolicyOptions;
  /** Required for A8 schemes. */
  calibration?: CalibrationSource;
  observer?: ObserverName;
  activationMode?: ActivationMode;
  percentile?: number;
  /** A8: quantize the SiLU path too (all-integer Conv → SiLU chains on ORT CPU). */
  siluPath?: boolean;
  threads?: number;
  /** Weight rounding algorithm (default rtn); gptq needs `calibration`. */
  algo?: WeightAlgorithm;
  algoOptions?: AlgorithmOptions;
  /** Keep this share of Conv weight parameters at 4 bits and the most sensitive rest at 8 (needs `calibration`). */
  budget?: number;
  /** A8: choose each activation range by the error it causes in the consuming layers. */
  rangeSearch?: boolean;
  /** Error correction after weights and activations are planned, this many layers per ORT pass (0: none; needs `calibration`). */
  correct?: number;
  /** A8: equalize the per-channel ranges of depthwise Conv inputs (needs `calibration`). */
  smooth?: boolean;
  /** With `smooth`: also equalize every other Conv input, s_c = (range_c / median)^alpha (weights absorb s_c). */
  smoothAlpha?: number;
  /** GPTQ: asymmetric grids (a zero point per scale) for ≤ 4-bit weights. */
  asymWeights?: boolean;
  /** GPTQ and error correction: coordinate-descent sweeps over the codes after each rounding (default 0). */
  refine?: number;
  onProgress?: (stage: string, done: number, total: number) => void;
}

/** The FP32 working graph of a model (FP16 weights/activations converted, interface kept). */
export function workingGraph(model: Model): Model {
  const hasFp16 = model.graph!.initializers.some((t) => t.dtype === DataType.FLOAT16);
  return hasFp16 ? changeFloatPrecision(model, { from: DataType.FLOAT16, to: DataType.FLOAT, castConstants: true }) : model;
}

/** The graph a saved plan applies to: the working graph with the plan's range equalization applied. */
export function planWorkingGraph(model: Model, plan: QuantPlan): Model {
  return applySmoothing(workingGraph(model), plan.smoothing ?? []);
}

export async function makePlan(modelBytes: Uint8Array, req: PlanRequest): Promise<{ plan: QuantPlan; work: Model }> {
  const scheme = SCHEMES[req.scheme];
  let work = workingGraph(modelFromBytes(modelBytes));
  let smoothing: SmoothingDecision[] = [];
  if (req.smooth && scheme.activations === 'int8') {
    if (!req.calibration) throw new InputError('range equalization needs calibration images (--calib)');
    smoothing = await planSmoothing(work, calibrationSet(work, req.calibration).feeds(), { threads: req.threads, ...(req.smoothAlpha !== undefined ? { alpha: req.smoothAlpha } : {}) });
    work = applySmoothing(work, smoothing);
  }
  const targets = findQuantTargets(work);
  const rtn = planWeightsRtn(targets, scheme, req.weights);
  const float = rtn.float;
  const decisions = req.budget !== undefined && req.budget < 1 && scheme.weightBits === 4
    ? (await applyBudget(work, targets, rtn.weights, { budget: req.budget, inputs: await sensitivityInputs(work, req.calibration), threads: req.threads, onProgress: req.onProgress })).decisions
    : rtn.weights;
  // GPTQ's options, shared with error correction's re-rounding.
  const gptq = { ...req.algoOptions?.gptq, ...(req.asymWeights ? { asymmetric: true } : {}), ...(req.refine ? { refine: req.refine } : {}) };
  const weights = await runWeightAlgorithm(req.algo ?? 'rtn', { work, targets, decisions, calibration: req.calibration, threads: req.threads, onProgress: req.onProgress, ...req.algoOptions, gptq });
  let plan: QuantPlan = { yoloqPlan: 1, scheme: scheme.name, modelSha256: sha256(modelBytes), weights, activations: [], float, ...(smoothing.length > 0 ? { smoothing } : {}) };
  if (scheme.activations === 'int8') {
    if (!req.calibration) throw new InputError(`${scheme.name} quantizes activations: give calibration images (--calib)`);
    const set = calibrationSet(work, req.calibration);
    const observer = req.observer ?? 'minmax';
    const total = set.paths.length;
    plan.activations = await planActivations(work, weights, set.feeds(), {
      observer, mode: req.activationMode ?? 'asymmetric', percentile: req.percentile, threads: req.threads, siluPath: req.siluPath ?? false,
      onProgress: (done) => req.onProgress?.('calibrating', done, total),
    });
    if (req.rangeSearch) {
      plan.activations = await searchActivationRanges(work, weights, plan.activations, set.feeds(), calibrationSet(work, { ...req.calibration, count: 16 }).feeds(), { mode: req.activationMode ?? 'asymmetric', threads: req.threads });
    }
    plan.calibration = { source: typeof req.calibration.images === 'string' ? req.calibration.images : `${total} files`, images: total - set.skipped.length, seed: req.calibration.seed ?? 0, observer, skipped: set.skipped.length };
  }
  if (req.correct && req.correct > 0) {
    if (!req.calibration) throw new InputError('error correction needs calibration images (--calib): it compares float and quantized layer inputs');
    const source = req.algoOptions?.hessianImages ? { ...req.calibration, count: req.algoOptions.hessianImages } : req.calibration;
    plan = await correctPlan(work, plan, targets, () => calibrationSet(work, source).feeds(), { chunk: req.correct, refine: gptq.refine, threads: req.threads, onProgress: req.onProgress });
  }
  return { plan, work };
}

export type ActivationDtype = 'fp16' | 'fp32';

export interface ExportRequest {
  format: ExportFormat;
  cudaLayout?: boolean;
  /** A16 schemes: FP16 activations (the GPU graph, default) or FP32 (the CPU twin). */
  actDtype?: ActivationDtype;
}

/**
 * Apply a plan to the FP32 working graph in one format; W4A16/W8A16 with fp16 activations get the FP16 graph.
 * Broadcast constant tables (anchor grids) are stored once with an Expand, exactly (see shrink-broadcast-constants).
 */
export function applyPlan(work: Model, plan: QuantPlan, req: ExportRequest): Model {
  const out = exportModel(work, plan, { format: req.format, cudaLayout: req.cudaLayout ?? false });
  const floatActs = SCHEMES[plan.scheme].activations === 'float';
  if (req.actDtype !== undefined && !floatActs) throw new InputError(`--act-dtype applies to the A16 schemes (w4a16, w8a16), not ${plan.scheme}`);
  const typed = !floatActs || req.actDtype === 'fp32'
    ? out
    : changeFloatPrecision(out, { from: DataType.FLOAT, to: DataType.FLOAT16, keepFloat32: scalesKeptFloat32(out) });
  return shrinkBroadcastConstants(typed).model;
}
