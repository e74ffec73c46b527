import { writeFileAtomic } from '../io/atomic-write.js';
import { saveModel } from '../onnx/serde/model-io.js';
import { recipeFor, recipePlanRequest, type RecipeName } from '../quant/algorithms/recipe.js';
import type { CalibrationSource } from '../quant/calibration/samples.js';
import { writePlanFiles } from '../quant/plan-file.js';
import { FORMAT_CAPABILITIES, type FormatName } from '../export/formats.js';
import { TARGETS, type TargetName } from '../export/targets.js';
import { applyPlan, makePlan, type ActivationDtype, type PlanRequest } from '../workflow/quantize.js';
import { SCHEMES, schemeNeedsCalibration } from '../quant/scheme.js';
import type { EpName } from '../runtime/ep-table.js';
import type { VariantSpec } from './config.js';
import type { OnProgress } from '../util/progress.js';
import { observerCounts } from '../quant/plan-observers.js';
import type { ObserverName } from '../quant/plan.js';
import { createStageTimer, type StageTiming } from '../quant/stage-timer.js';

/**
 * Build one variant's model file from the source model, with the library calls `yoloq quantize` makes
 * (makePlan → applyPlan → saveModel, plan written with writePlanFiles: JSON + safetensors sidecar). The float variant is the source file itself,
 * copied. QAT variants are built by the Python stage (qat-stage.ts).
 */

export interface BuildContext {
  sourcePath: string;
  sourceBytes: Uint8Array;
  ep: EpName;
  recipe: RecipeName;
  calibration?: CalibrationSource;
  /** The run's deployment target, when given (`yoloq run --target`). */
  target?: TargetName;
  threads: number;
  onProgress?: OnProgress;
}

export interface BuildRecord {
  scheme?: string;
  format?: string;
  /** A16 variants: the activation dtype of the graph (fp32 on the CPU EP, whose x86 kernels have no FP16 Conv). */
  actDtype?: ActivationDtype;
  recipe?: RecipeName;
  weights?: number;
  activations?: number;
  keptFloat?: number;
  calibration?: { images: number; source: string };
  /** A8: how many activation ranges each observer set (what the plan chose; see quant/plan-observers.ts). */
  observers?: Partial<Record<ObserverName, number>>;
  /** Calibration images that could not be read and were skipped ("path: reason"). */
  skippedImages?: string[];
  seconds: number;
  /** Where the build's time went (src/quant/stage-timer.ts): in the build record and the run log, never the plan. */
  stages?: StageTiming[];
}

/**
 * A recipe's request adjusted to a deployment target (src/export/targets.ts), as `quantize --target` does: the
 * target's granularity, symmetric weights and activations, TensorRT's Q/DQ placement, two-level scales for a
 * two-level format.
 */
export function targetPlanRequest(req: Partial<PlanRequest>, target: TargetName | undefined, format: FormatName): Partial<PlanRequest> {
  const twoLevel = FORMAT_CAPABILITIES[format].scaleLevels === 2;
  if (!target && !twoLevel) return req;
  const t = target ? TARGETS[target] : undefined;
  const granularity = t && t.granularity !== 'recipe' ? t.granularity : req.weights?.granularity;
  return {
    ...req,
    weights: {
      ...req.weights,
      ...(granularity ? { granularity } : {}),
      ...(twoLevel ? { blockScales: 'uint8' as const } : {}),
      ...(t?.placement === 'tensorrt' ? { floatPredictionLayers: true } : {}),
    },
    ...(t?.symmetricWeights ? { asymWeights: false } : {}),
    ...(t?.actMode === 'symmetric' ? { activationMode: 'symmetric' as const } : {}),
    ...(t && t.placement !== 'default' ? { placement: t.placement } : {}),
  };
}

/** The activation dtype an A16 graph gets on an EP: FP32 on the CPU (no FP16 Conv kernel on x86), FP16 elsewhere. */
export function actDtypeFor(ep: EpName): ActivationDtype {
  return ep === 'cpu' ? 'fp32' : 'fp16';
}

export async function buildPtqVariant(
  spec: Extract<VariantSpec, { kind: 'ptq' }>,
  ctx: BuildContext,
  out: { onnx: string; plan: string },
): Promise<BuildRecord> {
  const t0 = performance.now();
  const scheme = SCHEMES[spec.scheme];
  const recipe = recipeFor(ctx.recipe, scheme.weightBits);
  const needsCalibration = schemeNeedsCalibration(scheme) || recipe.algorithm !== 'rtn' || recipe.budget !== undefined;
  const timer = createStageTimer();
  const { plan, work, calibration } = await makePlan(ctx.sourceBytes, {
    scheme: scheme.name,
    threads: ctx.threads,
    timer,
    ...targetPlanRequest(recipePlanRequest(recipe, FORMAT_CAPABILITIES[spec.format]), ctx.target, spec.format),
    ...(needsCalibration && ctx.calibration ? { calibration: ctx.calibration } : {}),
    ...(ctx.onProgress ? { onProgress: ctx.onProgress } : {}),
  });
  const actDtype = scheme.activations === 'float' ? (ctx.target ? TARGETS[ctx.target].actDtype : actDtypeFor(ctx.ep)) : undefined;
  const model = await timer.time('export', async () => applyPlan(work, plan, { format: spec.format, ...(actDtype ? { actDtype } : {}) }));
  await timer.time('write', async () => {
    saveModel(model, out.onnx);
    writePlanFiles(out.plan, plan);
  });
  return {
    scheme: scheme.name,
    format: spec.format,
    ...(actDtype ? { actDtype } : {}),
    recipe: ctx.recipe,
    weights: plan.weights.length,
    activations: plan.activations.length,
    keptFloat: plan.float.length,
    ...(plan.calibration ? { calibration: { images: plan.calibration.images, source: plan.calibration.source } } : {}),
    ...(plan.activations.length > 0 ? { observers: observerCounts(plan) } : {}),
    ...(calibration && calibration.skipped.length > 0 ? { skippedImages: [...calibration.skipped] } : {}),
    seconds: (performance.now() - t0) / 1000,
    stages: timer.stages(),
  };
}

export function buildFloatVariant(ctx: BuildContext, out: { onnx: string }): BuildRecord {
  const t0 = performance.now();
  writeFileAtomic(out.onnx, ctx.sourceBytes);
  return { seconds: (performance.now() - t0) / 1000 };
}
