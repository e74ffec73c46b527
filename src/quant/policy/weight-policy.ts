import { InputError } from '../../errors.js';
import { toFloat32 } from '../../onnx/ir/tensor.js';
import type { GranularityRequest, WeightDecision, WeightGranularity } from '../plan.js';
import type { Scheme } from '../scheme.js';
import { maxAbsScales } from '../weights/codes.js';
import { selectLayers, type LayerSelection } from './layer-selection.js';
import type { QuantTarget } from './targets.js';

export interface WeightPolicyOptions extends LayerSelection {
  /** Scale layout for the scheme's low-bit layers; default per-channel. */
  granularity?: GranularityRequest;
  /** Keep stem and prediction layers at 8 bits (default true): they hold ~2% of YOLO Conv parameters and most of its 4-bit error. */
  keepFirstLast?: boolean;
  narrow?: boolean;
}

function granularityFor(t: QuantTarget, g: GranularityRequest | undefined): WeightGranularity {
  if (g?.kind === 'per-tensor') return { kind: 'per-tensor' };
  if (g === undefined || g.kind === 'per-channel' || !t.rowMajorOutputs) return { kind: 'per-channel', axis: t.outputAxis };
  return { kind: 'blocked', blockSize: g.blockSize };
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
  const { selected, excluded } = selectLayers(targets, options);
  if (selected.length === 0)
    throw new InputError(
      'nothing to quantize: the model has no Conv/ConvTranspose/Gemm/MatMul with a constant float weight (after --include/--exclude)',
    );
  const keep = options.keepFirstLast ?? true;
  const narrow = options.narrow ?? true;
  const weights = selected.map((t): WeightDecision => {
    const kept = keep && (t.first || t.last);
    const bits = kept ? scheme.keptWeightBits : scheme.weightBits;
    const granularity = kept ? ({ kind: 'per-channel', axis: t.outputAxis } as const) : granularityFor(t, options.granularity);
    const scales = maxAbsScales(toFloat32(t.weight), t.weight.dims, granularity, bits);
    return {
      node: t.node,
      opType: t.opType,
      input: t.input,
      tensor: t.weight.name,
      shape: [...t.weight.dims],
      bits,
      narrow,
      granularity,
      scales: Array.from(scales),
      algorithm: { name: 'rtn' },
      reason: kept ? (t.first ? 'stem layer kept at 8 bits' : 'prediction layer kept at 8 bits') : `${scheme.name} weight bits`,
    };
  });
  return { weights, float: excluded };
}
