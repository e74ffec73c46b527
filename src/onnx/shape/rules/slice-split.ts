import { getInt, getInts } from '../../ir/attributes.js';
import { DataType } from '../../ir/dtypes.js';
import type { Dim } from '../../ir/graph.js';
import { fail, info, isKnown, normAxis, unknownDims } from '../dims.js';
import type { RuleContext, ShapeInfo, ShapeRule } from '../types.js';
import { checkArity, hasInput, intsOf, listArg, need, needShape } from './common.js';

/** Ops that select parts of a tensor: Slice, Split, Gather, GatherElements, GatherND, NonZero, Scatter*. */

/** Slice arguments with axes normalized; an undefined field is one whose contents are not known. */
export interface SliceSpec {
  axes?: number[];
  starts?: number[];
  ends?: number[];
  steps?: number[];
}

/** Read Slice's arguments (attributes before opset 10, inputs starts/ends/axes/steps from 10) for an input of `rank`. */
export function readSlice(ctx: RuleContext, rank: number): SliceSpec {
  let starts: number[] | undefined;
  let ends: number[] | undefined;
  let axes: number[] | undefined;
  let steps: number[] | undefined;
  let count: number | undefined;
  if (ctx.opset < 10) {
    starts = getInts(ctx.node, 'starts');
    ends = getInts(ctx.node, 'ends');
    axes = getInts(ctx.node, 'axes');
    if (!starts || !ends) fail('Slice: starts/ends missing');
    count = starts.length;
  } else {
    checkArity(ctx, 3, 5);
    starts = intsOf(ctx, 1);
    ends = intsOf(ctx, 2);
    const n = ctx.input(1)?.shape?.[0] ?? ctx.input(2)?.shape?.[0];
    count = starts?.length ?? ends?.length ?? (isKnown(n) ? n : undefined);
    axes = hasInput(ctx, 3) ? intsOf(ctx, 3) : undefined;
    if (hasInput(ctx, 3) && !axes) return { starts, ends };
    steps = hasInput(ctx, 4) ? intsOf(ctx, 4) : undefined;
    if (!hasInput(ctx, 4) && count !== undefined) steps = new Array<number>(count).fill(1);
  }
  if (!axes && count !== undefined) axes = Array.from({ length: count }, (_, i) => i);
  if (ctx.opset < 10 && count !== undefined) steps = new Array<number>(count).fill(1);
  const spec: SliceSpec = { starts, ends, steps };
  if (axes) spec.axes = axes.map((a) => normAxis(a, rank));
  for (const list of [spec.starts, spec.ends, spec.steps]) {
    if (list && spec.axes && list.length !== spec.axes.length) fail('Slice: argument lengths differ');
  }
  if (spec.steps?.some((s) => s === 0)) fail('Slice: step 0');
  return spec;
}

/** Indices selected along one axis of size `dim` by start/end/step, clamped as ONNX specifies. */
export function sliceIndices(dim: number, start: number, end: number, step: number): number[] {
  let s = start < 0 ? start + dim : start;
  let e = end < 0 ? end + dim : end;
  const out: number[] = [];
  if (step > 0) {
    s = Math.min(Math.max(s, 0), dim);
    e = Math.min(Math.max(e, 0), dim);
    for (let i = s; i < e; i += step) out.push(i);
  } else {
    s = Math.min(Math.max(s, 0), dim - 1);
    e = Math.min(Math.max(e, -1), dim - 1);
    for (let i = s; i > e; i += step) out.push(i);
  }
  return out;
}

/** Number of elements sliceIndices would select, without listing them. */
function sliceCount(dim: number, start: number, end: number, step: number): number {
  let s = start < 0 ? start + dim : start;
  let e = end < 0 ? end + dim : end;
  if (step > 0) {
    s = Math.min(Math.max(s, 0), dim);
    e = Math.min(Math.max(e, 0), dim);
    return Math.max(0, Math.ceil((e - s) / step));
  }
  s = Math.min(Math.max(s, 0), dim - 1);
  e = Math.min(Math.max(e, -1), dim - 1);
  return Math.max(0, Math.ceil((s - e) / -step));
}

/** "To the end" markers: INT32_MAX and beyond. */
const TO_END = 2 ** 31 - 1;

/** Slice(data, starts, ends, axes?, steps?): sliced axes get their selected counts, others are unchanged. */
const slice: ShapeRule = (ctx) => {
  const x = need(ctx, 0);
  if (!x.shape) return [info(x.elemType, undefined)];
  const xs = x.shape;
  const spec = readSlice(ctx, xs.length);
  if (!spec.axes) return [info(x.elemType, unknownDims(xs.length))];
  const out = [...xs];
  spec.axes.forEach((a, j) => {
    const d = xs[a]!;
    const start = spec.starts?.[j];
    const end = spec.ends?.[j];
    const step = spec.steps?.[j];
    if (start === undefined || end === undefined || step === undefined) out[a] = null;
    else if (isKnown(d)) out[a] = sliceCount(d, start, end, step);
    else out[a] = start === 0 && end >= TO_END && step === 1 ? d : null;
  });
  return [info(x.elemType, out)];
};

/** Split sizes along an axis of size `dim` for `n` outputs, or undefined when they cannot be known. */
function splitSizes(ctx: RuleContext, dim: Dim, n: number): Dim[] {
  const split = listArg(ctx, 'split', 1, 13);
  if (split.given) {
    if (!split.values) return unknownDims(n);
    if (split.values.length !== n) fail('Split: split has the wrong length');
    if (isKnown(dim) && split.values.reduce((a, b) => a + b, 0) !== dim) fail('Split: sizes do not add up');
    return split.values;
  }
  if (!isKnown(dim)) return unknownDims(n);
  const numOutputs = getInt(ctx.node, 'num_outputs');
  if (numOutputs !== undefined && numOutputs !== n) fail('Split: num_outputs differs from the output count');
  if (dim % n === 0) return new Array<number>(n).fill(dim / n);
  if (numOutputs === undefined) fail(`Split: ${dim} does not split evenly into ${n}`);
  // Opset 18 num_outputs: ceil-sized chunks, the last one smaller.
  const chunk = Math.ceil(dim / n);
  return Array.from({ length: n }, (_, i) => Math.max(0, Math.min(chunk, dim - i * chunk)));
}

/** Split(X, split?, axis) → one output per size along `axis`. */
const split: ShapeRule = (ctx) => {
  checkArity(ctx, 1, 2);
  const x = need(ctx, 0);
  const n = ctx.node.outputs.length;
  if (!x.shape) return ctx.node.outputs.map(() => info(x.elemType, undefined));
  const xs = x.shape;
  const axis = normAxis(getInt(ctx.node, 'axis', 0), xs.length);
  const sizes = splitSizes(ctx, xs[axis]!, n);
  return sizes.map((s) => {
    const out = [...xs];
    out[axis] = s;
    return info(x.elemType, out);
  });
};

/** Gather(data, indices, axis) → data[:axis] + indices.shape + data[axis+1:]. */
const gather: ShapeRule = (ctx) => {
  checkArity(ctx, 2);
  const x = need(ctx, 0);
  const idx = need(ctx, 1).shape;
  if (!x.shape || !idx) return [info(x.elemType, undefined)];
  const axis = normAxis(getInt(ctx.node, 'axis', 0), x.shape.length);
  return [info(x.elemType, [...x.shape.slice(0, axis), ...idx, ...x.shape.slice(axis + 1)])];
};

/** GatherElements(data, indices) → indices.shape, dtype of data. */
const gatherElements: ShapeRule = (ctx) => {
  checkArity(ctx, 2);
  return [info(need(ctx, 0).elemType, need(ctx, 1).shape)];
};

/** GatherND(data, indices, batch_dims=b) → indices.shape[:-1] + data.shape[b + indices.shape[-1]:]. */
const gatherND: ShapeRule = (ctx) => {
  checkArity(ctx, 2);
  const x = need(ctx, 0);
  const data = needShape(ctx, 0);
  const idx = needShape(ctx, 1);
  const last = idx[idx.length - 1];
  if (!isKnown(last)) return [info(x.elemType, undefined)];
  const b = getInt(ctx.node, 'batch_dims', 0);
  return [info(x.elemType, [...idx.slice(0, -1), ...data.slice(b + last)])];
};

/** ScatterND / ScatterElements / Scatter(data, indices, updates) → data's type. */
const scatter: ShapeRule = (ctx) => {
  checkArity(ctx, 3);
  const x = need(ctx, 0);
  return [info(x.elemType, x.shape)];
};

/** NonZero(X) → INT64 [rank, number of non-zeros (unknown)]. */
const nonZero: ShapeRule = (ctx): ShapeInfo[] => {
  checkArity(ctx, 1);
  const xs = need(ctx, 0).shape;
  return [info(DataType.INT64, xs ? [xs.length, null] : [null, null])];
};

export const sliceSplitRules: Readonly<Record<string, ShapeRule>> = Object.freeze({
  Slice: slice,
  Split: split,
  Gather: gather,
  GatherElements: gatherElements,
  GatherND: gatherND,
  ScatterND: scatter,
  ScatterElements: scatter,
  Scatter: scatter,
  NonZero: nonZero,
});
