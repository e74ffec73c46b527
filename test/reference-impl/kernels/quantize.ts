import { getInt } from '../../../src/onnx/ir/attributes.js';
import { DataType, dtypeName, intRange } from '../../../src/onnx/ir/dtypes.js';
import { need, type Kernel, type KernelContext } from '../kernel-types.js';
import { makeRef, normAxis, roundHalfToEven, roundInPlace, allocate, type RefTensor } from '../ref-tensor.js';

/**
 * QuantizeLinear and DequantizeLinear, opsets 10–21, integer types INT8/UINT8/INT16/UINT16/INT4/UINT4 (and INT32
 * input to Dequantize). Scales and zero points are per tensor (one element), per axis (1-D of x.dims[axis]) or
 * blocked (same rank as x, dims[axis] = ceil(x.dims[axis] / block_size)). Quantize: y = saturate(
 * roundHalfEven(float32(x / scale)) + zp); Dequantize: y = float32((x − zp) · scale), in the scale's float type.
 */

/** Index of the scale/zero point of every element of x [.. dims ..] (row-major), as an Int32Array. */
export function paramIndex(dims: readonly number[], param: RefTensor, axisAttr: number, blockSize: number): Int32Array {
  const n = dims.reduce((a, b) => a * b, 1);
  const idx = new Int32Array(n);
  if (param.data.length === 1) return idx;
  const axis = normAxis(axisAttr, dims.length);
  const dim = dims[axis]!;
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const blocks = blockSize > 0 ? Math.ceil(dim / blockSize) : dim;
  const expected = blockSize > 0 ? (n / dim) * blocks : dim;
  if (param.data.length !== expected) {
    throw new RangeError(
      `reference: quantization parameter ${JSON.stringify(param.dims)} does not fit ${JSON.stringify(dims)} (axis ${axis}, block ${blockSize})`,
    );
  }
  for (let i = 0; i < n; i++) {
    const a = Math.floor(i / inner) % dim;
    if (blockSize > 0) {
      const outer = Math.floor(i / (inner * dim));
      idx[i] = (outer * blocks + Math.floor(a / blockSize)) * inner + (i % inner);
    } else idx[i] = a;
  }
  return idx;
}

function quantParams(ctx: KernelContext): { axis: number; block: number } {
  return { axis: getInt(ctx.node, 'axis', 1), block: getInt(ctx.node, 'block_size', 0) };
}

const quantizeLinear: Kernel = (inputs, ctx) => {
  const x = need(inputs, 0, ctx);
  const scale = need(inputs, 1, ctx);
  const zp = inputs[2];
  const outType = zp?.dtype ?? (getInt(ctx.node, 'output_dtype', 0) || DataType.UINT8);
  const range = intRange(outType);
  if (!range) throw new Error(`reference: QuantizeLinear to ${dtypeName(outType)} is not supported`);
  const [lo, hi] = range;
  const { axis, block } = quantParams(ctx);
  const si = paramIndex(x.dims, scale, axis, block);
  const out = allocate(outType, x.data.length);
  for (let i = 0; i < out.length; i++) {
    const k = si[i]!;
    const q = roundHalfToEven(Math.fround(x.data[i]! / scale.data[k]!)) + (zp ? zp.data[k]! : 0);
    out[i] = q < lo ? lo : q > hi ? hi : q;
  }
  return [makeRef(outType, x.dims, out)];
};

const dequantizeLinear: Kernel = (inputs, ctx) => {
  const x = need(inputs, 0, ctx);
  const scale = need(inputs, 1, ctx);
  const zp = inputs[2];
  const { axis, block } = quantParams(ctx);
  const si = paramIndex(x.dims, scale, axis, block);
  const out = new Float32Array(x.data.length);
  for (let i = 0; i < out.length; i++) {
    const k = si[i]!;
    out[i] = (x.data[i]! - (zp ? zp.data[k]! : 0)) * scale.data[k]!;
  }
  return [makeRef(scale.dtype, x.dims, roundInPlace(scale.dtype, out))];
};

export const QUANTIZE_KERNELS: Readonly<Record<string, Kernel>> = Object.freeze({
  QuantizeLinear: quantizeLinear,
  DequantizeLinear: dequantizeLinear,
});
