import { findAttr, getInt, getInts, getTensorAttr } from '../../../src/onnx/ir/attributes.js';
import { DataType } from '../../../src/onnx/ir/dtypes.js';
import { need, type Kernel, type KernelContext } from '../kernel-types.js';
import {
  broadcastDims,
  broadcastIndex,
  makeRef,
  normAxis,
  refFromTensor,
  refFromValues,
  scalarOf,
  toNumbers,
  type RefTensor,
} from '../ref-tensor.js';

/**
 * Kernels that only move, copy or describe data: Reshape, Flatten, Squeeze, Unsqueeze, Shape, Size, Identity,
 * Dropout (inference: identity), Constant, ConstantOfShape, Range, Cast, CastLike, Expand. Shapes and axes are
 * int64 tensors (read as numbers) or attributes, depending on the opset.
 */

/** Same data, new dims (the data is shared: values are never mutated after a kernel returns). */
function reshaped(x: RefTensor, dims: number[]): RefTensor {
  return { dims, dtype: x.dtype, data: x.data };
}

/** Reshape: 0 copies the input dim (unless allowzero=1), one −1 is inferred. */
const reshape: Kernel = (inputs, ctx) => {
  const x = need(inputs, 0, ctx);
  const want = toNumbers(need(inputs, 1, ctx));
  const allowZero = getInt(ctx.node, 'allowzero', 0) === 1;
  const dims = want.map((d, i) => (d === 0 && !allowZero ? x.dims[i]! : d));
  const known = dims.reduce((a, d) => (d === -1 ? a : a * d), 1);
  const at = dims.indexOf(-1);
  if (at >= 0) dims[at] = known === 0 ? 0 : x.data.length / known;
  if (dims.reduce((a, b) => a * b, 1) !== x.data.length)
    throw new RangeError(`reference: cannot reshape ${JSON.stringify(x.dims)} to ${JSON.stringify(want)}`);
  return [reshaped(x, dims)];
};

const flatten: Kernel = (inputs, ctx) => {
  const x = need(inputs, 0, ctx);
  const axis = getInt(ctx.node, 'axis', 1);
  const a = axis < 0 ? axis + x.dims.length : axis;
  const outer = x.dims.slice(0, a).reduce((p, d) => p * d, 1);
  return [reshaped(x, [outer, x.data.length / outer])];
};

/** Axes from input 1 (opset ≥ 13) or the `axes` attribute (earlier). */
function axesOf(inputs: ReadonlyArray<RefTensor | undefined>, ctx: KernelContext, since = 13): number[] | undefined {
  if (ctx.opset >= since) return inputs[1] ? toNumbers(inputs[1]) : undefined;
  return getInts(ctx.node, 'axes');
}

const squeeze: Kernel = (inputs, ctx) => {
  const x = need(inputs, 0, ctx);
  const axes = axesOf(inputs, ctx)?.map((a) => normAxis(a, x.dims.length));
  return [
    reshaped(
      x,
      x.dims.filter((d, i) => (axes ? !axes.includes(i) : d !== 1)),
    ),
  ];
};

const unsqueeze: Kernel = (inputs, ctx) => {
  const x = need(inputs, 0, ctx);
  const rank = x.dims.length + (axesOf(inputs, ctx) ?? []).length;
  const axes = (axesOf(inputs, ctx) ?? []).map((a) => normAxis(a, rank)).sort((a, b) => a - b);
  const dims = [...x.dims];
  for (const a of axes) dims.splice(a, 0, 1);
  return [reshaped(x, dims)];
};

/** Shape with the opset-15 `start`/`end` slice of the dims. */
const shape: Kernel = (inputs, ctx) => {
  const x = need(inputs, 0, ctx);
  const r = x.dims.length;
  const clampAxis = (a: number) => Math.min(Math.max(a < 0 ? a + r : a, 0), r);
  const dims = x.dims.slice(clampAxis(getInt(ctx.node, 'start', 0)), clampAxis(getInt(ctx.node, 'end', r)));
  return [refFromValues(DataType.INT64, [dims.length], dims)];
};

/** Constant from `value` (a tensor) or `value_float(s)` / `value_int(s)`. */
const constant: Kernel = (_inputs, ctx) => {
  const t = getTensorAttr(ctx.node, 'value');
  if (t) return [refFromTensor(t)];
  for (const [name, dtype] of [
    ['value_float', DataType.FLOAT],
    ['value_floats', DataType.FLOAT],
    ['value_int', DataType.INT64],
    ['value_ints', DataType.INT64],
  ] as const) {
    const a = findAttr(ctx.node, name);
    if (!a) continue;
    const v = a.value;
    if (v.kind === 'float' || v.kind === 'int') return [refFromValues(dtype, [], [Number(v.value)])];
    if (v.kind === 'floats' || v.kind === 'ints') return [refFromValues(dtype, [v.value.length], v.value.map(Number))];
  }
  throw new Error(`reference: Constant ${ctx.node.name ?? ''} has no supported value attribute`);
};

const constantOfShape: Kernel = (inputs, ctx) => {
  const dims = toNumbers(need(inputs, 0, ctx));
  const t = getTensorAttr(ctx.node, 'value');
  const fill = t ? refFromTensor(t) : refFromValues(DataType.FLOAT, [1], [0]);
  return [refFromValues(fill.dtype, dims, new Array<number>(dims.reduce((a, b) => a * b, 1)).fill(scalarOf(fill)))];
};

/**
 * Range: n = max(ceil((limit − start) / delta), 0) values, accumulated as the spec's loop does
 * (v₀ = start, vᵢ₊₁ = vᵢ + delta, each rounded to start's dtype).
 */
const range: Kernel = (inputs, ctx) => {
  const [s, l, d] = [0, 1, 2].map((i) => need(inputs, i, ctx));
  const start = scalarOf(s!);
  const delta = scalarOf(d!);
  const n = Math.max(Math.ceil((scalarOf(l!) - start) / delta), 0);
  const out = refFromValues(s!.dtype, [n], new Float64Array(n));
  const step = refFromValues(s!.dtype, [1], [0]);
  let v = start;
  for (let i = 0; i < n; i++) {
    out.data[i] = v;
    step.data[0] = v + delta;
    v = step.data[0];
  }
  return [out];
};

/** Cast: floats round to the target (FLOAT16 to nearest even), integers truncate toward zero, BOOL is x ≠ 0. */
const cast: Kernel = (inputs, ctx) => {
  const x = need(inputs, 0, ctx);
  const to = getInt(ctx.node, 'to');
  if (to === undefined) throw new Error(`reference: Cast ${ctx.node.name ?? ''} has no "to"`);
  return [refFromValues(to, x.dims, x.data)];
};

const castLike: Kernel = (inputs, ctx) => {
  const x = need(inputs, 0, ctx);
  return [refFromValues(need(inputs, 1, ctx).dtype, x.dims, x.data)];
};

/** Expand: numpy broadcast of the input against the given shape. */
const expand: Kernel = (inputs, ctx) => {
  const x = need(inputs, 0, ctx);
  const dims = broadcastDims(x.dims, toNumbers(need(inputs, 1, ctx)));
  const idx = broadcastIndex(x.dims, dims);
  const out = refFromValues(x.dtype, dims, new Float64Array(idx.length));
  for (let i = 0; i < idx.length; i++) out.data[i] = x.data[idx[i]!]!;
  return [out];
};

const identity: Kernel = (inputs, ctx) => [need(inputs, 0, ctx)];

const size: Kernel = (inputs, ctx) => [refFromValues(DataType.INT64, [], [need(inputs, 0, ctx).data.length])];

export const SHAPE_KERNELS: Readonly<Record<string, Kernel>> = Object.freeze({
  Reshape: reshape,
  Flatten: flatten,
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  Shape: shape,
  Size: size,
  Identity: identity,
  Dropout: (inputs, ctx) => {
    const x = need(inputs, 0, ctx);
    return [x, makeRef(DataType.BOOL, x.dims, new Float32Array(x.data.length).fill(1))];
  },
  Constant: constant,
  ConstantOfShape: constantOfShape,
  Range: range,
  Cast: cast,
  CastLike: castLike,
  Expand: expand,
});
