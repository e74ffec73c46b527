import type { WeightDecision } from '../plan.js';

/**
 * What a weight decision will cost in the exported file, all in, counted as `yoloq inspect` counts a file
 * (src/inspect/bits-per-weight.ts): the codes, one scale per scale entry, one zero point per scale when the grid is
 * asymmetric, and for two-level block scales an 8-bit code per block plus one scale per output channel. Scales
 * count at `scaleBits` (32: the FP32 graph; the FP16 GPU graph stores single-level scales in 16) — known before
 * any weight is rounded, so a bits budget can be checked and spent before calibration.
 */
export interface DecisionBitsOptions {
  /** A ≤ 4-bit weight will get a zero point per scale (GPTQ's asymmetric grid). */
  asymmetric?: boolean;
  /** Width of a stored float scale. Default 32. */
  scaleBits?: number;
}

export function decisionBits(d: WeightDecision, options: DecisionBitsOptions = {}): number {
  const n = d.shape.reduce((a, b) => a * b, 1);
  const scaleBits = options.scaleBits ?? 32;
  const scales = d.scales.length;
  const zeroPoints = d.zeroPoints !== undefined || (options.asymmetric === true && d.bits <= 4) ? scales * d.bits : 0;
  const scaleStorage = d.blockScales ? scales * 8 + d.blockScales.rowScales.length * scaleBits : scales * scaleBits;
  return n * d.bits + scaleStorage + zeroPoints;
}
