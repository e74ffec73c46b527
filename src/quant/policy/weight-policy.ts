import { InputError } from '../../errors.js';
import { toFloat32 } from '../../onnx/ir/tensor.js';
import type { GranularityRequest, WeightDecision, WeightGranularity } from '../plan.js';
import type { Scheme } from '../scheme.js';
import { maxAbsScales } from '../weights/codes.js';
import { blockScalesField, perTensorSecondLevel, toTwoLevel, type BlockScaleCodes } from '../weights/two-level.js';
import { selectLayers, type LayerSelection } from './layer-selection.js';
import type { QuantTarget } from './targets.js';

export interface WeightPolicyOptions extends LayerSelection {
  /** Scale layout for the scheme's low-bit layers; default per-channel. */
  granularity?: GranularityRequest;
  /**
   * Blocked ≤ 4-bit layers: store block scales as uint8 codes under a float32 row scale, or as FP8 E4M3 codes under
   * one float32 scale per tensor (two levels, src/quant/weights/two-level.ts), instead of float32 each. Default 'float32'.
   */
  blockScales?: BlockScaleRequest;
  /** Leave the prediction layers float instead of keeping them at 8 bits (NVIDIA's Q/DQ placement for YOLO). */
  floatPredictionLayers?: boolean;
  /** Keep stem and prediction layers at 8 bits (default true): they hold ~2% of YOLO Conv parameters and most of its 4-bit error. */
  keepFirstLast?: boolean;
  narrow?: boolean;
}

/** How a plan request stores the block scales of blocked ≤ 4-bit layers. */
export type BlockScaleRequest = 'float32' | BlockScaleCodes;

function granularityFor(t: QuantTarget, g: GranularityRequest | undefined): WeightGranularity {
  if (g?.kind === 'per-tensor') return { kind: 'per-tensor' };
  if (g === undefined || g.kind === 'per-channel' || !t.rowMajorOutputs) return { kind: 'per-channel', axis: t.outputAxis };
  return { kind: 'blocked', blockSize: g.blockSize };
}

/**
 * One layer at `bits` with round-to-nearest scales on `granularity`. Round-to-nearest takes the representable block
 * scale at or above max|w| / qmax, so no weight clips. Under uint8 codes a row of one block (a depthwise 3×3 filter
 * under block:16) gains nothing from a second level and keeps its float32 scale; under e4m3 codes, whose one scale
 * serves the whole tensor, it takes an 8-bit code like any other block.
 */
export function rtnDecision(
  t: QuantTarget,
  bits: number,
  granularity: WeightGranularity,
  options: { narrow: boolean; blockScales?: BlockScaleRequest },
  reason: string,
): WeightDecision {
  const maxAbs = maxAbsScales(toFloat32(t.weight), t.weight.dims, granularity, bits);
  const rows = t.weight.dims[0]!;
  const codes = options.blockScales === 'float32' ? undefined : options.blockScales;
  const two =
    codes && granularity.kind === 'blocked' && bits <= 4 && (perTensorSecondLevel(codes) || maxAbs.length > rows)
      ? toTwoLevel(maxAbs, rows, maxAbs.length / rows, true, codes)
      : undefined;
  const scales = two ? two.scales : maxAbs;
  return {
    node: t.node,
    opType: t.opType,
    input: t.input,
    tensor: t.weight.name,
    shape: [...t.weight.dims],
    bits,
    narrow: options.narrow,
    granularity,
    scales: Array.from(scales),
    ...(two && codes ? { blockScales: blockScalesField(two.codes, two.rowScales, codes) } : {}),
    algorithm: { name: 'rtn' },
    reason,
  };
}

/**
 * The default policy with round-to-nearest scales: every selected layer at the scheme's weight bits, except the
 * stem (no compute layer upstream) and the prediction layers (none downstream), kept at 8 bits. Layers whose
 * weights cannot take blocked scales (ConvTranspose, MatMul, Gemm with transB=0) fall back to per-channel.
 */
export function planWeightsRtn(
  targets: QuantTarget[],
  scheme: Scheme,
  options: WeightPolicyOptions = {},
): { weights: WeightDecision[]; float: Array<{ node: string; reason: string }> } {
  const selection = selectLayers(targets, options);
  const decoding = selection.selected.filter((t) => t.boxDecoding);
  const selected = selection.selected.filter((t) => !t.boxDecoding);
  const excluded = [...selection.excluded, ...decoding.map((t) => ({ node: t.node, reason: 'box decoding (DFL projection) left float' }))];
  if (selected.length === 0)
    throw new InputError(
      'nothing to quantize: the model has no Conv/ConvTranspose/Gemm/MatMul with a constant float weight (after --include/--exclude)',
    );
  const keep = options.keepFirstLast ?? true;
  const narrow = options.narrow ?? true;
  // TensorRT placement leaves the prediction layers (and the box decoding after them) in float.
  const floatLast = options.floatPredictionLayers ? selected.filter((t) => t.last) : [];
  const float = [...excluded, ...floatLast.map((t) => ({ node: t.node, reason: 'prediction layer left float (TensorRT placement)' }))];
  const weights = selected
    .filter((t) => !floatLast.includes(t))
    .map((t): WeightDecision => {
      const kept = keep && (t.first || t.last);
      const bits = kept ? scheme.keptWeightBits : scheme.weightBits;
      const granularity = kept ? ({ kind: 'per-channel', axis: t.outputAxis } as const) : granularityFor(t, options.granularity);
      const reason = kept ? (t.first ? 'stem layer kept at 8 bits' : 'prediction layer kept at 8 bits') : `${scheme.name} weight bits`;
      return rtnDecision(t, bits, granularity, { narrow, blockScales: options.blockScales }, reason);
    });
  return { weights, float };
}
