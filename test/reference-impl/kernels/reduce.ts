import { getInt, getInts } from '../../../src/onnx/ir/attributes.js';
import { DataType } from '../../../src/onnx/ir/dtypes.js';
import { need, type Kernel, type KernelContext } from '../kernel-types.js';
import {
  allocate,
  makeRef,
  normAxis,
  refFromValues,
  roundInPlace,
  stridedIndex,
  stridesOf,
  toNumbers,
  type RefTensor,
} from '../ref-tensor.js';

/**
 * Reductions: ReduceMax/Min/Sum/Mean/Prod/SumSquare/L1/L2 (axes from the attribute, or from input 1 since opset 18
 * — 13 for ReduceSum; keepdims; noop_with_empty_axes), ArgMax/ArgMin (int64, first occurrence unless
 * select_last_index) and TopK (values and int64 indices; ties keep the lower index first).
 */

interface Reduction {
  init: number;
  step: (acc: number, v: number) => number;
  finish?: (acc: number, count: number) => number;
}

const REDUCTIONS: Readonly<Record<string, Reduction>> = Object.freeze({
  ReduceMax: { init: -Infinity, step: (a, v) => (v > a || Number.isNaN(v) ? v : a) },
  ReduceMin: { init: Infinity, step: (a, v) => (v < a || Number.isNaN(v) ? v : a) },
  ReduceSum: { init: 0, step: (a, v) => a + v },
  ReduceMean: { init: 0, step: (a, v) => a + v, finish: (a, n) => a / n },
  ReduceProd: { init: 1, step: (a, v) => a * v },
  ReduceSumSquare: { init: 0, step: (a, v) => a + v * v },
  ReduceL1: { init: 0, step: (a, v) => a + Math.abs(v) },
  ReduceL2: { init: 0, step: (a, v) => a + v * v, finish: (a) => Math.sqrt(a) },
});

/** The reduced axes (sorted, non-negative), or undefined for "reduce nothing". */
function reducedAxes(inputs: ReadonlyArray<RefTensor | undefined>, ctx: KernelContext, rank: number): number[] | undefined {
  const since = ctx.node.opType === 'ReduceSum' ? 13 : 18;
  const given = ctx.opset >= since ? (inputs[1] ? toNumbers(inputs[1]) : undefined) : getInts(ctx.node, 'axes');
  if (!given || given.length === 0) {
    if (ctx.opset >= since && getInt(ctx.node, 'noop_with_empty_axes', 0) === 1) return undefined;
    return Array.from({ length: rank }, (_, i) => i);
  }
  return given.map((a) => normAxis(a, rank)).sort((a, b) => a - b);
}

function reduce(r: Reduction): Kernel {
  return (inputs, ctx) => {
    const x = need(inputs, 0, ctx);
    const axes = reducedAxes(inputs, ctx, x.dims.length);
    if (!axes) return [x];
    const keep = getInt(ctx.node, 'keepdims', 1) === 1;
    const keptDims = x.dims.map((d, k) => (axes.includes(k) ? 1 : d));
    const os = stridesOf(keptDims);
    const target = stridedIndex(
      x.dims,
      x.dims.map((_, k) => (axes.includes(k) ? 0 : os[k]!)),
    );
    const acc = new Float64Array(keptDims.reduce((a, b) => a * b, 1)).fill(r.init);
    for (let i = 0; i < target.length; i++) acc[target[i]!] = r.step(acc[target[i]!]!, x.data[i]!);
    const count = x.data.length / acc.length;
    const out = allocate(x.dtype, acc.length);
    for (let i = 0; i < acc.length; i++) out[i] = r.finish ? r.finish(acc[i]!, count) : acc[i]!;
    const dims = keep ? keptDims : x.dims.filter((_, k) => !axes.includes(k));
    return [makeRef(x.dtype, dims, roundInPlace(x.dtype, out))];
  };
}

/** Visit every 1-D line along `axis`: `fn(base, stride)` with element i of the line at base + i·stride. */
function forEachLine(dims: number[], axis: number, fn: (base: number, stride: number, line: number) => void): void {
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1);
  for (let o = 0; o < outer; o++) for (let j = 0; j < inner; j++) fn(o * dims[axis]! * inner + j, inner, o * inner + j);
}

function argReduce(max: boolean): Kernel {
  return (inputs, ctx) => {
    const x = need(inputs, 0, ctx);
    const axis = normAxis(getInt(ctx.node, 'axis', 0), x.dims.length);
    const last = getInt(ctx.node, 'select_last_index', 0) === 1;
    const dims = x.dims.map((d, k) => (k === axis ? 1 : d));
    const out = new Float64Array(dims.reduce((a, b) => a * b, 1));
    forEachLine(x.dims, axis, (base, stride, line) => {
      let best = 0;
      for (let i = 1; i < x.dims[axis]!; i++) {
        const v = x.data[base + i * stride]!;
        const b = x.data[base + best * stride]!;
        if (max ? v > b || (last && v === b) : v < b || (last && v === b)) best = i;
      }
      out[line] = best;
    });
    const keep = getInt(ctx.node, 'keepdims', 1) === 1;
    return [makeRef(DataType.INT64, keep ? dims : dims.filter((_, k) => k !== axis), out)];
  };
}

const topK: Kernel = (inputs, ctx) => {
  const x = need(inputs, 0, ctx);
  const k = ctx.opset >= 10 ? toNumbers(need(inputs, 1, ctx))[0]! : getInt(ctx.node, 'k', 1);
  const axis = normAxis(getInt(ctx.node, 'axis', -1), x.dims.length);
  const largest = getInt(ctx.node, 'largest', 1) === 1;
  const dims = x.dims.map((d, j) => (j === axis ? k : d));
  const values = refFromValues(x.dtype, dims, new Float64Array(dims.reduce((a, b) => a * b, 1)));
  const indices = new Float64Array(values.data.length);
  const len = x.dims[axis]!;
  forEachLine(x.dims, axis, (base, stride) => {
    const order = Array.from({ length: len }, (_, i) => i);
    const at = (i: number) => x.data[base + i * stride]!;
    order.sort((a, b) => (at(a) === at(b) ? a - b : largest ? at(b) - at(a) : at(a) - at(b)));
    // Output line with the same base layout, axis length k instead of len.
    const outBase = Math.floor(base / (len * stride)) * k * stride + (base % stride);
    for (let i = 0; i < k; i++) {
      values.data[outBase + i * stride] = at(order[i]!);
      indices[outBase + i * stride] = order[i]!;
    }
  });
  return [values, makeRef(DataType.INT64, dims, indices)];
};

export const REDUCE_KERNELS: Readonly<Record<string, Kernel>> = Object.freeze({
  ...Object.fromEntries(Object.entries(REDUCTIONS).map(([op, r]) => [op, reduce(r)])),
  ArgMax: argReduce(true),
  ArgMin: argReduce(false),
  TopK: topK,
});
