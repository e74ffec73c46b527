import { InputError } from '../errors.js';
import type { Model } from '../onnx/ir/graph.js';
import { modelFromBytes } from '../onnx/serde/model-io.js';
import { sha256 } from '../util/sha256.js';
import { correctPlan } from './algorithms/correction.js';
import { runWeightAlgorithm, type AlgorithmOptions, type WeightAlgorithm } from './algorithms/index.js';
import { searchActivationRanges } from './algorithms/range-search.js';
import type { Simulate } from './algorithms/simulate.js';
import { planActivations } from './calibration/activation-plan.js';
import { applyEqualization, planEqualization } from './calibration/equalization.js';
import { openCalibration, type Calibration, type CalibrationSource } from './calibration/samples.js';
import type { ActivationMode } from './observers/activation-range.js';
import type { EqualizationDecision, ObserverName, QuantPlan } from './plan.js';
import { applyBudget, sensitivityInputs } from './policy/sensitivity-budget.js';
import { findQuantTargets } from './policy/targets.js';
import { planWeightsRtn, type WeightPolicyOptions } from './policy/weight-policy.js';
import { SCHEMES, schemeNeedsCalibration, type SchemeName } from './scheme.js';
import { workingGraph } from './working-graph.js';

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
  threads?: number;
  /** Weight rounding algorithm (default rtn); gptq needs `calibration`. */
  algorithm?: WeightAlgorithm;
  algorithmOptions?: AlgorithmOptions;
  /** Keep this share of Conv weight parameters at 4 bits and the most sensitive rest at 8 (needs `calibration`). */
  budget?: number;
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
  onProgress?: (stage: string, done: number, total: number) => void;
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
}

function needCalibration(calibration: Calibration | undefined, why: string): Calibration {
  if (!calibration) throw new InputError(why);
  return calibration;
}

export async function planModel(modelBytes: Uint8Array, req: PlanRequest, services: PlanServices): Promise<PlannedModel> {
  const scheme = SCHEMES[req.scheme];
  let work = workingGraph(modelFromBytes(modelBytes));
  const calibration = req.calibration ? openCalibration(work, req.calibration) : undefined;
  let equalization: EqualizationDecision[] = [];
  if (req.equalize && scheme.activations === 'int8') {
    const calib = needCalibration(calibration, 'range equalization needs calibration images (--calib)');
    equalization = await planEqualization(work, calib.set.feeds(), {
      threads: req.threads,
      ...(req.equalizeAlpha !== undefined ? { alpha: req.equalizeAlpha } : {}),
    });
    work = applyEqualization(work, equalization);
  }
  const targets = findQuantTargets(work);
  const rtn = planWeightsRtn(targets, scheme, req.weights);
  const float = rtn.float;
  const decisions =
    req.budget !== undefined && req.budget < 1 && scheme.weightBits === 4
      ? (
          await applyBudget(work, targets, rtn.weights, {
            budget: req.budget,
            inputs: await sensitivityInputs(calibration),
            threads: req.threads,
            onProgress: req.onProgress,
          })
        ).decisions
      : rtn.weights;
  // GPTQ's options, shared with error correction's re-rounding.
  const gptq = {
    ...req.algorithmOptions?.gptq,
    ...(req.asymWeights ? { asymmetric: true } : {}),
    ...(req.refine ? { refine: req.refine } : {}),
  };
  const weights = await runWeightAlgorithm(req.algorithm ?? 'rtn', {
    work,
    targets,
    decisions,
    calibration,
    threads: req.threads,
    onProgress: req.onProgress,
    ...req.algorithmOptions,
    gptq,
  });
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
    const total = set.paths.length;
    plan.activations = await planActivations(work, weights, set.feeds(), {
      observer,
      mode: req.activationMode ?? 'asymmetric',
      percentile: req.percentile,
      threads: req.threads,
      siluPath: req.siluPath ?? false,
      onProgress: (done) => req.onProgress?.('calibrating', done, total),
    });
    if (req.rangeSearch) {
      plan.activations = await searchActivationRanges(work, weights, plan.activations, set.feeds(), calib.draw({ count: 16 }).feeds(), {
        mode: req.activationMode ?? 'asymmetric',
        threads: req.threads,
      });
    }
    plan.calibration = {
      source: calib.label,
      images: total - set.skipped.length,
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
    plan = await correctPlan(work, plan, targets, () => (hessianImages ? calib.draw({ count: hessianImages }) : calib.set).feeds(), {
      simulate: services.simulate,
      chunk: req.correct,
      refine: gptq.refine,
      threads: req.threads,
      onProgress: req.onProgress,
    });
  }
  return { plan, work, ...(calibration ? { calibration } : {}) };
}
