import { writeFileAtomic } from '../io/atomic-write.js';
import { saveModel } from '../onnx/serde/model-io.js';
import { recipeFor, recipePlanRequest, type RecipeName } from '../quant/algorithms/recipe.js';
import type { CalibrationSource } from '../quant/calibration/samples.js';
import { writePlanFiles } from '../quant/plan-file.js';
import { FORMAT_CAPABILITIES, type FormatName } from '../export/formats.js';
import { TARGETS, type TargetName } from '../export/targets.js';
import { applyPlan, makePlan, type ActivationDtype, type PlanRequest } from '../workflow/quantize.js';
import { SCHEMES, schemeNeedsCalibration, type SchemeName } from '../quant/scheme.js';
import type { EpName } from '../runtime/ep-table.js';
import type { VariantSpec } from './config.js';
import type { OnProgress } from '../util/progress.js';
import { observerCounts } from '../quant/plan-observers.js';
import type { ObserverName, QuantPlan } from '../quant/plan.js';
import type { LearnSummary } from './learned-variant.js';
import { createStageTimer, type StageTimer, type StageTiming } from '../quant/stage-timer.js';
import type { Model } from '../onnx/ir/graph.js';

/**
 * Build one variant's model file from the source model, with the library calls `yoloq quantize` makes
 * (makePlan → applyPlan → saveModel, plan written with writePlanFiles: JSON + safetensors sidecar). The float variant is the source file itself,
 * copied. QAT variants are built by the Python stage (qat-variant.ts), learned-* variants by learned-variant.ts.
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
  /** Learned-* variants: where their plan came from and what learning did (learned-variant.ts). */
  learned?: LearnSummary;
}

/**
 * A recipe's request adjusted to a deployment target (src/export/targets.ts), as `quantize --target` does: the
 * target's granularity, symmetric weights and activations, TensorRT's Q/DQ placement, two-level scales for a
 * two-level format.
 */
export function targetPlanRequest(req: Partial<PlanRequest>, target: TargetName | undefined, format: FormatName): Partial<PlanRequest> {
  const codes = FORMAT_CAPABILITIES[format].blockScaleCodes;
  if (!target && !codes) return req;
  const t = target ? TARGETS[target] : undefined;
  const granularity = t && t.granularity !== 'recipe' ? t.granularity : req.weights?.granularity;
  return {
    ...req,
    weights: {
      ...req.weights,
      ...(granularity ? { granularity } : {}),
      ...(codes ? { blockScales: codes } : {}),
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

/** The plan a recipe makes for a scheme and format in this run (what `yoloq quantize` would make), timed on `timer`. */
export async function variantPlan(
  scheme: SchemeName,
  format: FormatName,
  recipeName: RecipeName,
  ctx: BuildContext,
  timer: StageTimer,
): Promise<Awaited<ReturnType<typeof makePlan>>> {
  const s = SCHEMES[scheme];
  const recipe = recipeFor(recipeName, s.weightBits);
  const needsCalibration = schemeNeedsCalibration(s) || recipe.algorithm !== 'rtn' || recipe.budget !== undefined;
  return makePlan(ctx.sourceBytes, {
    scheme,
    threads: ctx.threads,
    timer,
    ...targetPlanRequest(recipePlanRequest(recipe, FORMAT_CAPABILITIES[format]), ctx.target, format),
    ...(needsCalibration && ctx.calibration ? { calibration: ctx.calibration } : {}),
    ...(ctx.onProgress ? { onProgress: ctx.onProgress } : {}),
  });
}

/** Export `plan` on its working graph `work` in `format`, and write the model and the plan (timed as export, write). */
export async function writeVariant(
  work: Model,
  plan: QuantPlan,
  format: FormatName,
  ctx: BuildContext,
  timer: StageTimer,
  out: { onnx: string; plan: string },
): Promise<{ actDtype?: ActivationDtype }> {
  const scheme = SCHEMES[plan.scheme];
  const actDtype = scheme.activations === 'float' ? (ctx.target ? TARGETS[ctx.target].actDtype : actDtypeFor(ctx.ep)) : undefined;
  const model = await timer.time('export', async () => applyPlan(work, plan, { format, ...(actDtype ? { actDtype } : {}) }));
  await timer.time('write', async () => {
    saveModel(model, out.onnx);
    writePlanFiles(out.plan, plan);
  });
  return actDtype ? { actDtype } : {};
}

/** The build record fields that describe a plan. */
export function planRecord(plan: QuantPlan): Pick<BuildRecord, 'weights' | 'activations' | 'keptFloat' | 'calibration' | 'observers'> {
  return {
    weights: plan.weights.length,
    activations: plan.activations.length,
    keptFloat: plan.float.length,
    ...(plan.calibration ? { calibration: { images: plan.calibration.images, source: plan.calibration.source } } : {}),
    ...(plan.activations.length > 0 ? { observers: observerCounts(plan) } : {}),
  };
}

export async function buildPtqVariant(
  spec: Extract<VariantSpec, { kind: 'ptq' }>,
  ctx: BuildContext,
  out: { onnx: string; plan: string },
): Promise<BuildRecord> {
  const t0 = performance.now();
  const timer = createStageTimer();
  const { plan, work, calibration } = await variantPlan(spec.scheme, spec.format, ctx.recipe, ctx, timer);
  const written = await writeVariant(work, plan, spec.format, ctx, timer, out);
  return {
    scheme: spec.scheme,
    format: spec.format,
    ...written,
    recipe: ctx.recipe,
    ...planRecord(plan),
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
