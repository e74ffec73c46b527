/**
 * Blocked quantization as DequantizeLinear-21 defines it: along the blocked axis of length `length`, scale index
 * j covers elements [j·blockSize, (j+1)·blockSize); the last block may be short. One formula for the plan's scale
 * layout, GPTQ's groups, the exporters and the load-time fold.
 */
export function blockCount(length: number, blockSize: number): number {
  return Math.ceil(length / blockSize);
}
