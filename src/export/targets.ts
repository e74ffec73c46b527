import { InputError } from '../errors.js';
import type { GranularityRequest } from '../quant/plan.js';
import type { SchemeName } from '../quant/scheme.js';
import type { FormatName } from './formats.js';

/**
 * Deployment targets as data: one frozen row per runtime a user deploys on, naming the format row it writes and
 * the quantization choices that runtime needs. `--target T` on quantize, apply and check reads this table; options
 * given explicitly still win, and a contradiction (say `--target tensorrt --asym-weights on`) exits 2 before any work.
 * The runtime facts behind each row, with their sources, are the rules in src/check/rules/targets.ts.
 */
export type TargetName = 'ort-cpu' | 'ort-cpu-integer' | 'ort-cuda' | 'tensorrt' | 'brevitas';

export interface TargetRow {
  readonly name: TargetName;
  readonly summary: string;
  /** Format for 4-bit and for 8-bit weights; `w4a8`: for W4A8 when it differs from `w4` (targetFormat). */
  readonly format: { readonly w4: FormatName; readonly w8: FormatName; readonly w4a8?: FormatName };
  /** 4-bit weight granularity; `recipe`: what the recipe gives the format (block:16 in native INT4). */
  readonly granularity: GranularityRequest | 'recipe';
  /** Weights must be symmetric (every zero point 0). */
  readonly symmetricWeights: boolean;
  /** int8 activation quantizers: symmetric (zero point 0) or asymmetric uint8. */
  readonly actMode: 'asymmetric' | 'symmetric';
  /** A16 schemes: the activation dtype of the graph. */
  readonly actDtype: 'fp16' | 'fp32';
  /**
   * Q/DQ placement: 'tensorrt' adds NVIDIA's rules for YOLO (one scale across each Concat and MaxPool, quantized
   * residual Add operands, prediction layers and box decoding in float; src/quant/calibration/trt-placement.ts);
   * 'ort-integer' quantizes the whole chain between the first and last quantized Conv so ORT's CPU EP runs it in
   * integer kernels (src/quant/calibration/ort-placement.ts).
   */
  readonly placement: 'default' | 'tensorrt' | 'ort-integer';
  /**
   * QDQ files are written as yoloq's CPU session loads them (weight zero points moved into the int8 codes,
   * src/runtime/zero-point-free-weights.ts): ORT's QLinearConv takes its fast path only without them.
   */
  readonly writeAsLoaded: boolean;
}

const PER_CHANNEL: GranularityRequest = Object.freeze({ kind: 'per-channel' });

export const TARGETS: Readonly<Record<TargetName, TargetRow>> = Object.freeze({
  'ort-cpu': Object.freeze({
    name: 'ort-cpu',
    summary: "ONNX Runtime's CPU EP: native INT4 (folded at load by yoloq), int8 QDQ for 8-bit weights, FP32 activations for A16",
    format: Object.freeze({ w4: 'int4', w8: 'qdq' }),
    granularity: 'recipe',
    symmetricWeights: false,
    actMode: 'asymmetric',
    actDtype: 'fp32',
    placement: 'default',
    writeAsLoaded: true,
  }),
  // Its own row, not ort-cpu's W4A8: the integer chain is faster but does not yet hold the default recipe's accuracy
  // (YOLOX-nano val100 0.1781 against 0.2612, docs/runtime-reality.md).
  'ort-cpu-integer': Object.freeze({
    name: 'ort-cpu-integer',
    summary:
      "ONNX Runtime's CPU EP, fastest W4A8: an all-integer QDQ chain (4-bit codes carried as int8, no weight zero points); less accurate than ort-cpu today",
    format: Object.freeze({ w4: 'int4', w8: 'qdq', w4a8: 'qdq' }),
    granularity: 'recipe',
    symmetricWeights: false,
    actMode: 'asymmetric',
    actDtype: 'fp32',
    placement: 'ort-integer',
    writeAsLoaded: true,
  }),
  'ort-cuda': Object.freeze({
    name: 'ort-cuda',
    summary: "ONNX Runtime's CUDA EP: blocked INT4 (the only INT4 DequantizeLinear it runs), FP16 activations for A16",
    format: Object.freeze({ w4: 'int4-cuda', w8: 'qdq' }),
    granularity: 'recipe',
    symmetricWeights: false,
    actMode: 'asymmetric',
    actDtype: 'fp16',
    placement: 'default',
    writeAsLoaded: false,
  }),
  tensorrt: Object.freeze({
    name: 'tensorrt',
    summary: 'TensorRT: int8-carried QDQ, per-channel symmetric weights and symmetric activations (zero points 0), FP16 for A16',
    format: Object.freeze({ w4: 'qdq', w8: 'qdq' }),
    granularity: PER_CHANNEL,
    symmetricWeights: true,
    actMode: 'symmetric',
    actDtype: 'fp16',
    placement: 'tensorrt',
    writeAsLoaded: false,
  }),
  brevitas: Object.freeze({
    name: 'brevitas',
    summary: "Brevitas' QCDQ form: int8 codes → Clip to [-7, 7] → DequantizeLinear, per-channel symmetric weights",
    format: Object.freeze({ w4: 'qcdq', w8: 'qcdq' }),
    granularity: PER_CHANNEL,
    symmetricWeights: true,
    actMode: 'asymmetric',
    actDtype: 'fp32',
    placement: 'default',
    writeAsLoaded: false,
  }),
});

export const TARGET_NAMES: readonly TargetName[] = Object.freeze(Object.keys(TARGETS) as TargetName[]);

/** The format a target writes for a scheme. */
export function targetFormat(t: TargetRow, scheme: SchemeName): FormatName {
  if (scheme === 'w4a8') return t.format.w4a8 ?? t.format.w4;
  return scheme === 'w4a16' ? t.format.w4 : t.format.w8;
}

/** The target row for `--target NAME`; InputError naming the choices otherwise. */
export function targetByName(name: string): TargetRow {
  if (!Object.hasOwn(TARGETS, name)) throw new InputError(`--target ${name}: expected one of ${TARGET_NAMES.join(', ')}`);
  return TARGETS[name as TargetName];
}
