import { TARGETS as DEPLOY, type TargetName } from '../../export/targets.js';
import { fpReference, type VariantRow } from '../summary.js';

/**
 * "Which variant do I ship, for which runtime, and why": per deployment target (the runtime rows of
 * src/export/targets.ts), the variant with the best mAP50-95 among this run's variants that (a) run on that target
 * in the form they were built and (b) fit the size budget. What runs where follows docs/runtime-reality.md:
 *
 * - ORT CPU EP: INT4 weights are dequantized at load, int8-carried Q/DQ fuses into integer kernels; there is no
 *   FP16 Conv on x86, so an A16 variant must be the FP32-activation twin.
 * - ORT CUDA EP: INT4 DequantizeLinear only in the blocked layout (`int4-cuda`, which is also what `int4` writes
 *   for a plan with blocked scales); Q/DQ graphs run as fake quantization there (a smaller file, no speed-up).
 * - TensorRT: int8-carried QDQ (`qdq`) with every zero point 0 — symmetric weights and symmetric int8
 *   activations; it has no INT4 Conv weights, so 4-bit weights travel as int8 codes.
 *
 * A target none of the run's variants fits gets the command that builds one: `apply --target T` over this run's best
 * 4-bit plan, or `quantize --target tensorrt` when the plan's zero points rule the target out.
 */

/** What the summary row does not carry: the build's activation dtype and what the plan says about its grids. */
export interface VariantFacts {
  id: string;
  /** A16 variants: the activation dtype the graph was built with. */
  actDtype?: 'fp16' | 'fp32';
  /** Every weight at ≤ 4 bits has blocked scales (so `int4` is the CUDA layout). */
  blocked?: boolean;
  /** Some weight has zero points (an asymmetric grid). */
  weightZeroPoints?: boolean;
  /** Some activation quantizer has a non-zero zero point or is unsigned. */
  activationZeroPoints?: boolean;
  /** The plan file, relative to the run folder. */
  plan?: string;
}

/** The facts a plan's JSON gives (inline or sidecar form: only the decisions are read). */
export function planFacts(raw: unknown): Pick<VariantFacts, 'blocked' | 'weightZeroPoints' | 'activationZeroPoints'> {
  const p = raw as {
    weights?: Array<{ bits?: number; granularity?: { kind?: string }; zeroPoints?: unknown }>;
    activations?: Array<{ signed?: boolean; zeroPoint?: number }>;
  };
  const weights = p?.weights ?? [];
  const low = weights.filter((w) => (w.bits ?? 8) <= 4);
  return {
    blocked: low.length > 0 && low.every((w) => w.granularity?.kind === 'blocked'),
    weightZeroPoints: weights.some(
      (w) => w.zeroPoints !== undefined && !(Array.isArray(w.zeroPoints) && w.zeroPoints.every((z) => z === 0)),
    ),
    activationZeroPoints: (p?.activations ?? []).some((a) => a.zeroPoint !== 0 || a.signed === false),
  };
}

export interface TargetRule {
  /** The deployment target's row (src/export/targets.ts): its formats, activation dtype and zero-point rules. */
  target: TargetName;
  /** "CPU (ORT CPU EP)". */
  label: string;
  /** How the variant runs on this target, or undefined when it does not run there as built. */
  runsAs(row: VariantRow, facts: VariantFacts | undefined): string | undefined;
  /** What to do when no variant of the run fits: a command over this run's best 4-bit plan (`plan`, the model path). */
  build(plan: string | undefined, model: string): string;
}

const A16 = (row: VariantRow) => row.scheme?.endsWith('a16') ?? false;
const FOUR = (row: VariantRow) => row.scheme?.startsWith('w4') ?? false;
const apply = (t: TargetName, plan: string | undefined, model: string, out: string) =>
  `yoloq apply --plan ${plan ?? 'PLAN.json'} ${model} --target ${t} -o ${out}`;

export const TARGET_RULES: readonly TargetRule[] = Object.freeze([
  {
    target: 'ort-cpu',
    label: 'CPU (ORT CPU EP)',
    runsAs: (row, f) => {
      if (A16(row) && f?.actDtype !== undefined && f.actDtype !== DEPLOY['ort-cpu'].actDtype) return undefined;
      const acts = A16(row) ? 'FP32 activations (the FP32-activation twin: x86 has no FP16 Conv)' : 'int8 activations';
      if (row.format === 'int4' || row.format === 'int4-cuda') return `INT4 weights dequantized at load, ${acts}`;
      if (row.format === 'qdq' || row.format === 'qcdq') return `int8-carried Q/DQ fused into integer kernels, ${acts}`;
      return undefined;
    },
    build: (plan, model) => `${apply('ort-cpu', plan, model, 'cpu.onnx')} (INT4, FP32 activations for A16)`,
  },
  {
    target: 'ort-cuda',
    label: 'CUDA (ORT CUDA EP)',
    runsAs: (row, f) => {
      const acts = !A16(row)
        ? 'int8 Q/DQ activations (fake-quant on this EP)'
        : f?.actDtype === 'fp32'
          ? `FP32 activations (re-apply ${f.plan ?? 'its plan'} with --target ort-cuda for the FP16-activation twin)`
          : 'FP16 activations';
      if (FOUR(row) && (row.format === DEPLOY['ort-cuda'].format.w4 || (row.format === 'int4' && f?.blocked)))
        return `blocked INT4 DequantizeLinear (int4-cuda), ${acts}`;
      if (!FOUR(row) && row.format === DEPLOY['ort-cuda'].format.w8) return `int8-carried Q/DQ as fake quantization (no speed-up), ${acts}`;
      return undefined;
    },
    build: (plan, model) => apply('ort-cuda', plan, model, 'cuda.onnx'),
  },
  {
    target: 'tensorrt',
    label: 'TensorRT (ORT TensorRT EP)',
    runsAs: (row, f) => {
      const t = DEPLOY.tensorrt;
      const form = row.format === (FOUR(row) ? t.format.w4 : t.format.w8);
      const zeroPoints =
        (t.symmetricWeights && f?.weightZeroPoints !== false) ||
        (t.actMode === 'symmetric' && !A16(row) && f?.activationZeroPoints !== false);
      return form && !zeroPoints && !A16(row) ? 'int8-carried QDQ, every zero point 0 (explicit quantization)' : undefined;
    },
    build: (_plan, model) =>
      `yoloq quantize --model ${model} --scheme w4a8 --target tensorrt --calib IMAGES -o trt.onnx (a new plan: TensorRT takes zero points 0 only)`,
  },
]);

/** Default size budget: 10% above the smallest quantized variant's file, so the 4-bit files compete, not the 8-bit. */
export const BUDGET_SLACK = 1.1;

export function sizeBudget(rows: readonly VariantRow[]): number | undefined {
  const sizes = quantized(rows).map((r) => r.sizeBytes!);
  return sizes.length === 0 ? undefined : Math.min(...sizes) * BUDGET_SLACK;
}

/** Done, measured, non-float variants. */
export function quantized(rows: readonly VariantRow[]): VariantRow[] {
  return rows.filter((r) => r.status === 'done' && r.kind !== 'float' && r.map !== undefined && r.sizeBytes !== undefined);
}

export interface Recommendation {
  target: TargetRule;
  /** The variant to ship, how it runs there, and whether it had to exceed the budget (none fit it). */
  pick?: { row: VariantRow; runsAs: string; overBudget: boolean };
  /** The variants that run on the target, best mAP first. */
  runners: VariantRow[];
  /** When none runs there, or none within the budget: the command that builds one from this run's best 4-bit plan. */
  build?: string;
}

export function recommend(
  rows: readonly VariantRow[],
  facts: ReadonlyMap<string, VariantFacts>,
  budget: number | undefined,
  model: string,
): Recommendation[] {
  const q = quantized(rows);
  // The plan a missing target is built from: the best 4-bit PTQ variant of the run (a QAT variant has no plan).
  const best4 = q.filter((r) => r.scheme?.startsWith('w4') && facts.get(r.id)?.plan).sort((a, b) => b.map! - a.map!)[0];
  return TARGET_RULES.map((target) => {
    const runners = q
      .filter((r) => target.runsAs(r, facts.get(r.id)) !== undefined)
      .sort((a, b) => b.map! - a.map! || a.sizeBytes! - b.sizeBytes!);
    const build = target.build(best4 ? facts.get(best4.id)?.plan : undefined, model);
    if (runners.length === 0) return { target, runners, build };
    const fit = runners.filter((r) => budget === undefined || r.sizeBytes! <= budget);
    const row = fit[0] ?? [...runners].sort((a, b) => a.sizeBytes! - b.sizeBytes!)[0]!;
    const pick = { row, runsAs: target.runsAs(row, facts.get(row.id))!, overBudget: fit.length === 0 };
    return { target, runners, pick, ...(pick.overBudget ? { build } : {}) };
  });
}

/** Δ mAP50-95 against the FP reference in points (1 point = 0.01 mAP), or undefined without a reference. */
export function dropPoints(row: VariantRow, rows: readonly VariantRow[]): number | undefined {
  const fp = fpReference(rows);
  return fp?.map === undefined || row.map === undefined ? undefined : 100 * (row.map - fp.map);
}
