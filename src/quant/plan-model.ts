import { InputError } from '../errors.js';
import type { Model } from '../onnx/ir/graph.js';
import { modelFromBytes } from '../onnx/serde/model-io.js';
import { sha256 } from '../util/sha256.js';
import { correctPlan } from './algorithms/correction.js';
import { runWeightAlgorithm, type AlgorithmOptions, type WeightAlgorithm } from './algorithms/index.js';
import { searchActivationRanges } from './algorithms/range-search.js';
import type { Simulate } from './algorithms/simulate.js';
import { planActivations, type ActivationPlacement } from './calibration/activation-plan.js';
import { shareGroupScales } from './calibration/trt-placement.js';
import { applyEqualization, planEqualization } from './calibration/equalization.js';
import { RememberedFeeds } from './calibration/collect.js';
import { openCalibration, type Calibration, type CalibrationSource } from './calibration/samples.js';
import type { ActivationMode } from './observers/activation-range.js';
import type { EqualizationDecision, ObserverName, QuantPlan } from './plan.js';
import { applyBudget, sensitivityInputs } from './policy/sensitivity-budget.js';
import {
  applyBitsBudget,
  bitsBudgetLayout,
  bitsBudgetLine,
  checkBitsBudget,
  type BitsBudgetRequest,
  type BitsBudgetSummary,
} from './policy/bits-budget.js';
import { assertFinitePlan, probeFiniteOutputs, screenNonFinite, type NonFinitePolicy } from './policy/non-finite.js';
import { findQuantTargets } from './policy/targets.js';
import { planWeightsRtn, type WeightPolicyOptions } from './policy/weight-policy.js';
import { SCHEMES, schemeNeedsCalibration, type SchemeName } from './scheme.js';
import { workingGraph } from './working-graph.js';
import { createStageTimer, type StageTimer, type StageTiming } from './stage-timer.js';

/** The library side of `yoloq quantize`'s deciding half: FP model bytes → plan. Exporting is src/export's. */

export interface PlanRequest {
  scheme: SchemeName;
  weights?: WeightPolicyOptions;
  /** Required for A8 schemes and every algorithm that measures; opened once (see openCalibration). */
  calibration?: CalibrationSource;
  observer?: ObserverName;
  activationMode?: ActivationMode;
  percentile?: number;
  /** A8: quantize the SiLU path too (all-integer Conv → SiLU chains on ORT CPU). */
  siluPath?: boolean;
  /** A8: where activations get Q/DQ (src/quant/calibration/activation-plan.ts, ActivationPlacement). Default 'default'. */
  placement?: ActivationPlacement;
  threads?: number;
  /** Weight rounding algorithm (default rtn); gptq needs `calibration`. */
  algorithm?: WeightAlgorithm;
  algorithmOptions?: AlgorithmOptions;
  /** Keep this share of Conv weight parameters at 4 bits and the most sensitive rest at 8 (needs `calibration`). */
  budget?: number;
  /**
   * All-in bits per Conv weight, at most: each blocked 4-bit layer's block size, and which layers stay at 8 bits,
   * are chosen together by measured sensitivity (policy/bits-budget.ts); `budget` is then the least share of Conv
   * weight parameters left at 4 bits (default 0.9). Needs blocked 4-bit granularity and `calibration`.
   */
  bitsPerWeight?: number;
  /** What `bitsPerWeight` counts a float scale or float weight as: 32 (default), 16 for the FP16 W4A16 graph. */
  floatBits?: 16 | 32;
  /** A8: choose each activation range by the error it causes in the consuming layers. */
  rangeSearch?: boolean;
  /** Error correction after weights and activations are planned, this many layers per ORT pass (0: none; needs `calibration`). */
  correct?: number;
  /** A8: equalize the per-channel ranges of depthwise Conv inputs (needs `calibration`). */
  equalize?: boolean;
  /** With `equalize`: also equalize every other Conv input, s_c = (range_c / median)^alpha (weights absorb s_c). */
  equalizeAlpha?: number;
  /** GPTQ: asymmetric grids (a zero point per scale) for ≤ 4-bit weights. */
  asymWeights?: boolean;
  /** GPTQ and error correction: coordinate-descent sweeps over the codes after each rounding (default 0). */
  refine?: number;
  /** Layers whose weight or bias holds NaN/Inf: refused (default) or kept float (see policy/non-finite.ts). */
  nonFinite?: NonFinitePolicy;
  onProgress?: (stage: string, done: number, total: number) => void;
  /** Records each stage's seconds (a command passes its own to time its export too); default: a fresh timer. */
  timer?: StageTimer;
}

/** What the deciding side needs from the emitting side, handed in by the caller (src/workflow/quantize.ts). */
export interface PlanServices {
  simulate: Simulate;
}

export interface PlannedModel {
  plan: QuantPlan;
  /** The FP32 working graph the plan applies to (equalization applied). */
  work: Model;
  /** The command's calibration stage, for later draws (e.g. SQNR on other images); absent without --calib. */
  calibration?: Calibration;
  /**
   * One line each for what the user should know about how the plan was measured: the default preprocessing and the
   * family-agnostic output measure for a model whose output fits no YOLO family.
   */
  notes: string[];
  /** With `bitsPerWeight`: what the budget chose (policy/bits-budget.ts). */
  bitsBudget?: BitsBudgetSummary;
  /** Where the time went, stage by stage (src/quant/stage-timer.ts); never part of the plan. */
  stages: StageTiming[];
}

function needCalibration(calibration: Calibration | undefined, why: string): Calibration {
  if (!calibration) throw new InputError(why);
  return calibration;
}

export async function planModel(modelBytes: Uint8Array, req: PlanRequest, services: PlanServices): Promise<PlannedModel> {
  const scheme = SCHEMES[req.scheme];
  const timer = req.timer ?? createStageTimer();
  const prepared = await timer.time('read model', async () => {
    const work = workingGraph(modelFromBytes(modelBytes));
    // Non-finite weights are refused (or set aside) before any image is read.
    const nonFiniteFloat = screenNonFinite(work, findQuantTargets(work), req.nonFinite ?? 'refuse');
    const calibration = req.calibration ? openCalibration(work, req.calibration) : undefined;
    return { work, nonFiniteFloat, calibration };
  });
  let work = prepared.work;
  const { nonFiniteFloat, calibration } = prepared;
  if (nonFiniteFloat.length > 0 && calibration)
    await timer.time('non-finite probe', () => probeFiniteOutputs(work, calibration.set.feeds(), nonFiniteFloat, req.threads), {
      images: feedCount(calibration.set),
    });
  const notes = calibration?.note ? [calibration.note] : [];
  let equalization: EqualizationDecision[] = [];
  // In an all-integer chain the equalized value's input is itself quantized per tensor (the SiLU output), and a
  // depthwise filter's per-channel scales absorb any per-channel factor: equalizing would buy nothing there and
  // leave a float Mul in the chain (docs/runtime-reality.md).
  if (req.equalize && scheme.activations === 'int8' && req.placement !== 'ort-integer') {
    const calib = needCalibration(calibration, 'range equalization needs calibration images (--calib)');
    const images = feedCount(calib.set);
    const eqWork = work;
    equalization = await timer.time(
      'equalization',
      () =>
        planEqualization(eqWork, calib.set.feeds(), {
          threads: req.threads,
          onProgress: (done) => req.onProgress?.('equalizing', done, images),
          ...(req.equalizeAlpha !== undefined ? { alpha: req.equalizeAlpha } : {}),
        }),
      { images },
    );
    work = applyEqualization(work, equalization);
  }
  const setAside = new Set(nonFiniteFloat.map((f) => f.node));
  const targets = findQuantTargets(work).filter((t) => !setAside.has(t.node));
  const rtn = planWeightsRtn(targets, scheme, req.weights);
  const float = [...nonFiniteFloat, ...rtn.float];
  let decisions = rtn.weights;
  let bitsBudget: BitsBudgetSummary | undefined;
  if (req.bitsPerWeight !== undefined) {
    if (scheme.weightBits !== 4) throw new InputError(`--bits spends a 4-bit budget: ${scheme.name} has ${scheme.weightBits}-bit weights`);
    const bitsReq: BitsBudgetRequest = {
      bitsPerWeight: req.bitsPerWeight,
      minShare: req.budget ?? 0.9,
      asymmetric: req.asymWeights ?? false,
      narrow: req.weights?.narrow ?? true,
      ...(req.floatBits ? { floatBits: req.floatBits } : {}),
      ...(req.weights?.blockScales ? { blockScales: req.weights.blockScales } : {}),
    };
    // An unreachable budget is refused before any image is read.
    checkBitsBudget(bitsBudgetLayout(targets, rtn.weights, bitsReq), bitsReq);
    const budgetWork = work;
    const spent = await timer.time('sensitivity', async () => {
      const inputs = await sensitivityInputs(calibration);
      timer.addImages(inputs.length);
      return applyBitsBudget(budgetWork, targets, rtn.weights, bitsReq, { inputs, threads: req.threads, onProgress: req.onProgress });
    });
    decisions = spent.decisions;
    if (spent.note) notes.push(spent.note);
    notes.push(bitsBudgetLine(req.bitsPerWeight, spent, req.floatBits));
    bitsBudget = {
      target: req.bitsPerWeight,
      floatBits: req.floatBits ?? 32,
      bitsPerWeight: spent.bitsPerWeight,
      fourBitShare: spent.fourBitShare,
      ways: spent.ways,
    };
  } else if (req.budget !== undefined && req.budget < 1 && scheme.weightBits === 4) {
    const budget = req.budget;
    const budgetWork = work;
    const budgeted = await timer.time('sensitivity', async () => {
      const inputs = await sensitivityInputs(calibration);
      timer.addImages(inputs.length);
      return applyBudget(budgetWork, targets, rtn.weights, { budget, inputs, threads: req.threads, onProgress: req.onProgress });
    });
    decisions = budgeted.decisions;
    if (budgeted.note) notes.push(budgeted.note);
  }
  // GPTQ's options, shared with error correction's re-rounding.
  const gptq = {
    ...req.algorithmOptions?.gptq,
    ...(req.asymWeights ? { asymmetric: true } : {}),
    ...(req.refine ? { refine: req.refine } : {}),
  };
  const algorithm = req.algorithm ?? 'rtn';
  const weightWork = work;
  const weights = await timer.time(`weights (${algorithm})`, () =>
    runWeightAlgorithm(algorithm, {
      work: weightWork,
      targets,
      decisions,
      calibration,
      threads: req.threads,
      onProgress: req.onProgress,
      timer,
      ...req.algorithmOptions,
      gptq,
    }),
  );
  let plan: QuantPlan = {
    yoloqPlan: 1,
    scheme: scheme.name,
    modelSha256: sha256(modelBytes),
    weights,
    activations: [],
    float,
    ...(equalization.length > 0 ? { equalization } : {}),
  };
  if (schemeNeedsCalibration(scheme)) {
    const calib = needCalibration(calibration, `${scheme.name} quantizes activations: give calibration images (--calib)`);
    const set = calib.set;
    const observer = req.observer ?? 'minmax';
    // The images a pass feeds (a skipped image's replacement is listed beside it): the progress total.
    const total = feedCount(set);
    const calWork = work;
    // Calibration's histograms serve range search too: one ORT pass over the set instead of two.
    const setFeeds = new RememberedFeeds(() => set.feeds());
    plan.activations = await timer.time(
      'calibration',
      () =>
        planActivations(calWork, weights, setFeeds, {
          observer,
          mode: req.activationMode ?? 'asymmetric',
          percentile: req.percentile,
          threads: req.threads,
          siluPath: req.siluPath ?? false,
          placement: req.placement ?? 'default',
          onProgress: (done) => req.onProgress?.('calibrating', done, total),
        }),
      { images: total },
    );
    if (req.rangeSearch) {
      const scoring = calib.draw({ count: 16 });
      const searched = total + scoring.paths.length;
      req.onProgress?.('range search', 0, searched);
      const planned = plan.activations;
      plan.activations = await timer.time(
        'range search',
        () =>
          searchActivationRanges(calWork, weights, planned, setFeeds, scoring.feeds(), {
            mode: req.activationMode ?? 'asymmetric',
            threads: req.threads,
            onProgress: (done) => req.onProgress?.('range search', done, searched),
          }),
        // The histograms come from calibration's pass (RememberedFeeds): only the scoring images are read again.
        { images: scoring.paths.length },
      );
      // Range search picks each value's range alone; a group (TensorRT placement) takes its members' widest again.
      if (req.placement !== undefined && req.placement !== 'default')
        plan.activations = shareGroupScales(plan.activations, req.activationMode ?? 'asymmetric');
    }
    plan.calibration = {
      source: calib.label,
      images: set.paths.length - set.skipped.length,
      seed: req.calibration?.seed ?? 0,
      observer,
      skipped: set.skipped.length,
    };
  }
  if (req.correct && req.correct > 0) {
    const calib = needCalibration(
      calibration,
      'error correction needs calibration images (--calib): it compares float and quantized layer inputs',
    );
    const hessianImages = req.algorithmOptions?.hessianImages;
    const correctSet = hessianImages ? calib.draw({ count: hessianImages }) : calib.set;
    const uncorrected = plan;
    const correctWork = work;
    const chunk = req.correct;
    plan = await timer.time(
      'error correction',
      () =>
        correctPlan(correctWork, uncorrected, targets, () => correctSet.feeds(), {
          simulate: services.simulate,
          chunk,
          refine: gptq.refine,
          threads: req.threads,
          onProgress: req.onProgress,
        }),
      { images: feedCount(correctSet) },
    );
  }
  assertFinitePlan(plan);
  return { plan, work, ...(calibration ? { calibration } : {}), notes, ...(bitsBudget ? { bitsBudget } : {}), stages: timer.stages() };
}

/** The images a pass over `set` feeds (a skipped image's replacement is listed beside it). */
function feedCount(set: { paths: readonly string[]; skipped: readonly string[] }): number {
  return set.paths.length - set.skipped.length;
}
