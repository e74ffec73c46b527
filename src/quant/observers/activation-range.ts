import type { ActivationDecision, ObserverName } from '../plan.js';
import { roundHalfEven } from '../rounding.js';

export type ActivationMode = 'asymmetric' | 'symmetric';

/**
 * Turn a calibrated range into an 8-bit quantizer. The range is widened to contain 0 (zero must be exact: padding
 * and ReLU-like zeros). asymmetric: uint8 with a zero point, using all 256 levels on [lo, hi] — ORT's default.
 * symmetric: zero point 0 — uint8 when the observed range is non-negative, int8 [-127, 127] otherwise — the form
 * TensorRT requires.
 */
export function activationQuantizer(
  value: string,
  observed: [number, number],
  range: [number, number],
  observer: ObserverName,
  mode: ActivationMode,
): ActivationDecision {
  const lo = Math.min(0, range[0]);
  const hi = Math.max(0, range[1]);
  const base = { value, bits: 8 as const, observer, observed, range: [lo, hi] as [number, number] };
  if (hi - lo <= 0) return { ...base, signed: false, scale: 1, zeroPoint: 0 };
  if (mode === 'symmetric') {
    if (lo >= 0) return { ...base, signed: false, scale: Math.fround(hi / 255), zeroPoint: 0 };
    const m = Math.max(-lo, hi);
    return { ...base, signed: true, scale: Math.fround(m / 127), zeroPoint: 0 };
  }
  const scale = Math.fround((hi - lo) / 255);
  const zeroPoint = Math.min(255, Math.max(0, roundHalfEven(-lo / scale)));
  return { ...base, signed: false, scale, zeroPoint };
}
