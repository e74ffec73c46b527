/**
 * Quantization schemes as plain data. "A16" means activations stay floating point (FP16 in the GPU graph, FP32 in
 * its CPU twin); "A8" means per-tensor int8 Q/DQ on the inputs of quantized ops.
 */
export type SchemeName = 'w4a8' | 'w4a16' | 'w8a8' | 'w8a16';

export interface Scheme {
  readonly name: SchemeName;
  /** Bits of the quantized Conv/Gemm/MatMul weights under the default policy. */
  readonly weightBits: 4 | 8;
  /** Bits of the layers the policy keeps at higher precision (first Conv, prediction Convs). */
  readonly keptWeightBits: 8;
  readonly activations: 'int8' | 'float';
}

export const SCHEMES: Readonly<Record<SchemeName, Scheme>> = Object.freeze({
  w4a8: Object.freeze({ name: 'w4a8', weightBits: 4, keptWeightBits: 8, activations: 'int8' }),
  w4a16: Object.freeze({ name: 'w4a16', weightBits: 4, keptWeightBits: 8, activations: 'float' }),
  w8a8: Object.freeze({ name: 'w8a8', weightBits: 8, keptWeightBits: 8, activations: 'int8' }),
  w8a16: Object.freeze({ name: 'w8a16', weightBits: 8, keptWeightBits: 8, activations: 'float' }),
});

export function isSchemeName(s: string): s is SchemeName {
  return Object.prototype.hasOwnProperty.call(SCHEMES, s);
}
