/**
 * FLOAT8E4M3FN (ONNX type 17): 1 sign bit, 4 exponent bits (bias 7), 3 mantissa bits; no infinities, S.1111.111 is
 * NaN, so the largest finite value is 448. Subnormals (exponent 0) are m/8 · 2^-6.
 */
export function fromFloat8E4M3FNBits(byte: number): number {
  const sign = byte & 0x80 ? -1 : 1;
  const e = (byte >> 3) & 0xf;
  const m = byte & 7;
  if (e === 0xf && m === 7) return Number.NaN;
  return sign * (e === 0 ? (m / 8) * 2 ** -6 : (1 + m / 8) * 2 ** (e - 7));
}
