import { getFloat, getInt } from '../../../src/onnx/ir/attributes.js';
import { DataType } from '../../../src/onnx/ir/dtypes.js';
import { need, type Kernel, type KernelContext } from '../kernel-types.js';
import { allocate, broadcastDims, broadcastIndex, makeRef, roundHalfToEven, roundInPlace, type RefTensor } from '../ref-tensor.js';

/**
 * Elementwise kernels. Each computes in float64 and rounds the result to the output dtype once (float32 storage,
 * float16 rounding for FLOAT16 tensors, truncation toward zero for integers, so integer Div is C division).
 * Binary and variadic ops broadcast numpy-style; comparisons output BOOL (0/1).
 */

/** A unary kernel; `make` reads the node's attributes once and returns the per-element function. */
function unaryWith(make: (ctx: KernelContext) => (x: number) => number): Kernel {
  return (inputs, ctx) => {
    const x = need(inputs, 0, ctx);
    const fn = make(ctx);
    const src = x.data;
    const out = allocate(x.dtype, src.length);
    for (let i = 0; i < src.length; i++) out[i] = fn(src[i]!);
    return [makeRef(x.dtype, x.dims, roundInPlace(x.dtype, out))];
  };
}

function unary(fn: (x: number) => number): Kernel {
  return unaryWith(() => fn);
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
const clamp01 = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);

/**
 * Clip: bounds from attributes `min`/`max` before opset 11, from optional scalar inputs 1 and 2 after
 * (integer tensors take integer bounds). Result min(max(x, lo), hi).
 */
const clip: Kernel = (inputs, ctx) => {
  const x = need(inputs, 0, ctx);
  let lo = -Infinity;
  let hi = Infinity;
  if (ctx.opset < 11) {
    lo = getFloat(ctx.node, 'min', -Infinity);
    hi = getFloat(ctx.node, 'max', Infinity);
  } else {
    if (inputs[1]) lo = inputs[1].data[0]!;
    if (inputs[2]) hi = inputs[2].data[0]!;
  }
  const src = x.data;
  const out = allocate(x.dtype, src.length);
  for (let i = 0; i < src.length; i++) {
    const v = src[i]!;
    const a = v < lo ? lo : v;
    out[i] = a > hi ? hi : a;
  }
  return [makeRef(x.dtype, x.dims, roundInPlace(x.dtype, out))];
};

export const UNARY_KERNELS: Readonly<Record<string, Kernel>> = Object.freeze({
  Relu: unary((x) => (x > 0 ? x : 0)),
  LeakyRelu: unaryWith((c) => {
    const alpha = Math.fround(getFloat(c.node, 'alpha', 0.01));
    return (x) => (x >= 0 ? x : x * alpha);
  }),
  Elu: unaryWith((c) => {
    const alpha = Math.fround(getFloat(c.node, 'alpha', 1));
    return (x) => (x >= 0 ? x : alpha * (Math.exp(x) - 1));
  }),
  Sigmoid: unary(sigmoid),
  HardSigmoid: unaryWith((c) => {
    const alpha = Math.fround(getFloat(c.node, 'alpha', 0.2));
    const beta = Math.fround(getFloat(c.node, 'beta', 0.5));
    return (x) => clamp01(alpha * x + beta);
  }),
  HardSwish: unary((x) => x * clamp01(x / 6 + 0.5)),
  Tanh: unary(Math.tanh),
  Exp: unary(Math.exp),
  Log: unary(Math.log),
  Sqrt: unary(Math.sqrt),
  Neg: unary((x) => -x),
  Abs: unary(Math.abs),
  Reciprocal: unary((x) => 1 / x),
  Floor: unary(Math.floor),
  Ceil: unary(Math.ceil),
  Round: unary(roundHalfToEven),
  Sign: unary(Math.sign),
  Not: unary((x) => (x ? 0 : 1)),
  Softplus: unary((x) => Math.log1p(Math.exp(x))),
  Clip: clip,
});

/** Apply `fn` over the broadcast of `a` and `b`; the output has `dtype` and shape broadcast(a, b). */
export function broadcastBinary(a: RefTensor, b: RefTensor, dtype: number, fn: (x: number, y: number) => number): RefTensor {
  const dims = broadcastDims(a.dims, b.dims);
  const n = dims.reduce((p, d) => p * d, 1);
  const out = allocate(dtype, n);
  const x = a.data;
  const y = b.data;
  if (x.length === n && y.length === n) {
    for (let i = 0; i < n; i++) out[i] = fn(x[i]!, y[i]!);
  } else if (x.length === n && y.length === 1) {
    const c = y[0]!;
    for (let i = 0; i < n; i++) out[i] = fn(x[i]!, c);
  } else if (y.length === n && x.length === 1) {
    const c = x[0]!;
    for (let i = 0; i < n; i++) out[i] = fn(c, y[i]!);
  } else {
    const ia = broadcastIndex(a.dims, dims);
    const ib = broadcastIndex(b.dims, dims);
    for (let i = 0; i < n; i++) out[i] = fn(x[ia[i]!]!, y[ib[i]!]!);
  }
  return makeRef(dtype, dims, roundInPlace(dtype, out));
}

function binary(fn: (x: number, y: number) => number, outType?: number): Kernel {
  return (inputs, ctx) => {
    const a = need(inputs, 0, ctx);
    return [broadcastBinary(a, need(inputs, 1, ctx), outType ?? a.dtype, fn)];
  };
}

/** Max/Min/Sum/Mean over any number of inputs, folded left to right with broadcasting. */
function variadic(fn: (x: number, y: number) => number, mean = false): Kernel {
  return (inputs, ctx) => {
    let acc = need(inputs, 0, ctx);
    for (let i = 1; i < inputs.length; i++) acc = broadcastBinary(acc, need(inputs, i, ctx), acc.dtype, fn);
    if (mean && inputs.length > 1) {
      const k = inputs.length;
      acc = broadcastBinary(acc, makeRef(acc.dtype, [], Float32Array.of(1)), acc.dtype, (x) => x / k);
    }
    return [acc];
  };
}

/** Mod: C fmod when `fmod`=1, otherwise the result takes the divisor's sign (Python %). */
const mod: Kernel = (inputs, ctx) => {
  const a = need(inputs, 0, ctx);
  const fmod = getInt(ctx.node, 'fmod', 0) === 1;
  return [
    broadcastBinary(a, need(inputs, 1, ctx), a.dtype, (x, y) => {
      const r = x % y;
      return fmod || r === 0 || r < 0 === y < 0 ? r : r + y;
    }),
  ];
};

/** Where(cond, x, y): x where cond is nonzero, else y; all three broadcast. */
const where: Kernel = (inputs, ctx) => {
  const [c, x, y] = [need(inputs, 0, ctx), need(inputs, 1, ctx), need(inputs, 2, ctx)];
  const dims = broadcastDims(c.dims, x.dims, y.dims);
  const ic = broadcastIndex(c.dims, dims);
  const ix = broadcastIndex(x.dims, dims);
  const iy = broadcastIndex(y.dims, dims);
  const out = allocate(x.dtype, ic.length);
  for (let i = 0; i < ic.length; i++) out[i] = c.data[ic[i]!] ? x.data[ix[i]!]! : y.data[iy[i]!]!;
  return [makeRef(x.dtype, dims, out)];
};

const BOOL = DataType.BOOL;

export const BINARY_KERNELS: Readonly<Record<string, Kernel>> = Object.freeze({
  Add: binary((x, y) => x + y),
  Sub: binary((x, y) => x - y),
  Mul: binary((x, y) => x * y),
  Div: binary((x, y) => x / y),
  Pow: binary(Math.pow),
  Mod: mod,
  Max: variadic((x, y) => (Number.isNaN(x) || x > y ? x : y)),
  Min: variadic((x, y) => (Number.isNaN(x) || x < y ? x : y)),
  Sum: variadic((x, y) => x + y),
  Mean: variadic((x, y) => x + y, true),
  Equal: binary((x, y) => (x === y ? 1 : 0), BOOL),
  Greater: binary((x, y) => (x > y ? 1 : 0), BOOL),
  Less: binary((x, y) => (x < y ? 1 : 0), BOOL),
  GreaterOrEqual: binary((x, y) => (x >= y ? 1 : 0), BOOL),
  LessOrEqual: binary((x, y) => (x <= y ? 1 : 0), BOOL),
  And: binary((x, y) => (x && y ? 1 : 0), BOOL),
  Or: binary((x, y) => (x || y ? 1 : 0), BOOL),
  Xor: binary((x, y) => ((x !== 0) !== (y !== 0) ? 1 : 0), BOOL),
  Where: where,
});
