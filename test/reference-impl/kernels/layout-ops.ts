import { getFloat, getInt, getInts, getString } from '../../../src/onnx/ir/attributes.js';
import { need, type Kernel, type KernelContext } from '../kernel-types.js';
import { allocate, makeRef, normAxis, stridedIndex, stridesOf, toNumbers, type RefTensor } from '../ref-tensor.js';

/**
 * Kernels that rearrange elements: Transpose, Concat, Split, Slice, Tile, Pad, Gather, GatherElements.
 * Axes may be negative (counted from the end); indices may be negative (counted from the end of their axis).
 */

function fromIndex(x: RefTensor, dims: number[], idx: Int32Array): RefTensor {
  const out = allocate(x.dtype, idx.length);
  for (let i = 0; i < idx.length; i++) out[i] = x.data[idx[i]!]!;
  return makeRef(x.dtype, dims, out);
}

/**
 * Output whose axis k takes the source positions `lists[k]` of `x` along axis k (same rank); a position −1 takes
 * `fill` (Pad's constant). Used by Slice, Tile and Pad.
 */
export function selectAxes(x: RefTensor, lists: number[][], fill = 0): RefTensor {
  const dims = lists.map((l) => l.length);
  const strides = stridesOf(x.dims);
  const out = allocate(
    x.dtype,
    dims.reduce((a, b) => a * b, 1),
  );
  if (fill !== 0) out.fill(fill);
  if (lists.length === 0) {
    out[0] = x.data[0]!;
    return makeRef(x.dtype, dims, out);
  }
  const block = dims.map((_, k) => dims.slice(k + 1).reduce((a, b) => a * b, 1));
  let at = 0;
  const walk = (axis: number, base: number): void => {
    const list = lists[axis]!;
    const st = strides[axis]!;
    if (axis === lists.length - 1) {
      for (const i of list) out[at++] = i < 0 ? fill : x.data[base + i * st]!;
      return;
    }
    for (const i of list) {
      if (i < 0) at += block[axis]!;
      else walk(axis + 1, base + i * st);
    }
  };
  walk(0, 0);
  return makeRef(x.dtype, dims, out);
}

const transpose: Kernel = (inputs, ctx) => {
  const x = need(inputs, 0, ctx);
  const perm = getInts(ctx.node, 'perm') ?? x.dims.map((_, i) => x.dims.length - 1 - i);
  const strides = stridesOf(x.dims);
  const dims = perm.map((p) => x.dims[p]!);
  return [
    fromIndex(
      x,
      dims,
      stridedIndex(
        dims,
        perm.map((p) => strides[p]!),
      ),
    ),
  ];
};

const concat: Kernel = (inputs, ctx) => {
  const parts = inputs.map((_, i) => need(inputs, i, ctx));
  const first = parts[0]!;
  const axis = normAxis(getInt(ctx.node, 'axis', 0), first.dims.length);
  const outer = first.dims.slice(0, axis).reduce((a, b) => a * b, 1);
  const dims = [...first.dims];
  dims[axis] = parts.reduce((a, p) => a + p.dims[axis]!, 0);
  const out = allocate(
    first.dtype,
    dims.reduce((a, b) => a * b, 1),
  );
  let at = 0;
  for (let o = 0; o < outer; o++) {
    for (const p of parts) {
      const chunk = p.data.length / outer;
      out.set(p.data.subarray(o * chunk, (o + 1) * chunk), at);
      at += chunk;
    }
  }
  return [makeRef(first.dtype, dims, out)];
};

/** Split sizes: input 1 (opset ≥ 13), the `split` attribute (earlier), else equal parts (opset 18: ceil). */
function splitSizes(inputs: ReadonlyArray<RefTensor | undefined>, ctx: KernelContext, dim: number): number[] {
  const given = ctx.opset >= 13 ? (inputs[1] ? toNumbers(inputs[1]) : undefined) : getInts(ctx.node, 'split');
  if (given) return given;
  const parts = getInt(ctx.node, 'num_outputs', ctx.node.outputs.length);
  const each = Math.ceil(dim / parts);
  return Array.from({ length: parts }, (_, i) => Math.max(0, Math.min(each, dim - i * each)));
}

const split: Kernel = (inputs, ctx) => {
  const x = need(inputs, 0, ctx);
  const axis = normAxis(getInt(ctx.node, 'axis', 0), x.dims.length);
  let start = 0;
  return splitSizes(inputs, ctx, x.dims[axis]!).map((len) => {
    const lists = x.dims.map((d, k) => Array.from({ length: k === axis ? len : d }, (_, i) => (k === axis ? start + i : i)));
    start += len;
    return selectAxes(x, lists);
  });
};

/** Positions visited along one axis of size `dim` by a Slice with these (unclamped) bounds. */
function slicePositions(dim: number, start: number, end: number, step: number): number[] {
  if (step === 0) throw new RangeError('reference: Slice step 0');
  const norm = (v: number) => (v < 0 ? v + dim : v);
  const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  const s = step > 0 ? clamp(norm(start), 0, dim) : clamp(norm(start), -1, dim - 1);
  const e = step > 0 ? clamp(norm(end), 0, dim) : clamp(norm(end), -1, dim - 1);
  const out: number[] = [];
  for (let i = s; step > 0 ? i < e : i > e; i += step) out.push(i);
  return out;
}

const slice: Kernel = (inputs, ctx) => {
  const x = need(inputs, 0, ctx);
  const fromInputs = ctx.opset >= 10;
  const starts = fromInputs ? toNumbers(need(inputs, 1, ctx)) : (getInts(ctx.node, 'starts') ?? []);
  const ends = fromInputs ? toNumbers(need(inputs, 2, ctx)) : (getInts(ctx.node, 'ends') ?? []);
  const axes = (fromInputs ? (inputs[3] ? toNumbers(inputs[3]) : undefined) : getInts(ctx.node, 'axes')) ?? starts.map((_, i) => i);
  const steps = fromInputs && inputs[4] ? toNumbers(inputs[4]) : starts.map(() => 1);
  const lists = x.dims.map((d) => Array.from({ length: d }, (_, i) => i));
  axes.forEach((a, i) => {
    const k = normAxis(a, x.dims.length);
    lists[k] = slicePositions(x.dims[k]!, starts[i]!, ends[i]!, steps[i]!);
  });
  return [selectAxes(x, lists)];
};

const tile: Kernel = (inputs, ctx) => {
  const x = need(inputs, 0, ctx);
  const reps = toNumbers(need(inputs, 1, ctx));
  return [
    selectAxes(
      x,
      x.dims.map((d, k) => Array.from({ length: d * reps[k]! }, (_, i) => i % d)),
    ),
  ];
};

/** Source position along an axis of size `dim` for output position `i` of a Pad with `before` leading pads. */
function padSource(i: number, before: number, dim: number, mode: string): number {
  const j = i - before;
  if (j >= 0 && j < dim) return j;
  if (mode === 'constant') return -1;
  if (mode === 'edge') return j < 0 ? 0 : dim - 1;
  if (mode === 'wrap') return ((j % dim) + dim) % dim;
  const period = 2 * (dim - 1);
  const r = ((j % period) + period) % period;
  return r < dim ? r : period - r;
}

/** Pad (modes constant, edge, reflect, wrap): pads from input 1 (opset ≥ 11) or the attribute; opset-18 axes. */
const pad: Kernel = (inputs, ctx) => {
  const x = need(inputs, 0, ctx);
  const r = x.dims.length;
  const mode = getString(ctx.node, 'mode') ?? 'constant';
  const raw = ctx.opset >= 11 ? toNumbers(need(inputs, 1, ctx)) : (getInts(ctx.node, 'pads') ?? []);
  const value = ctx.opset >= 11 ? (inputs[2]?.data[0] ?? 0) : getFloat(ctx.node, 'value', 0);
  const axes = inputs[3] ? toNumbers(inputs[3]).map((a) => normAxis(a, r)) : x.dims.map((_, i) => i);
  const before = new Array<number>(r).fill(0);
  const after = new Array<number>(r).fill(0);
  axes.forEach((a, i) => {
    before[a] = raw[i]!;
    after[a] = raw[i + axes.length]!;
  });
  const lists = x.dims.map((d, k) => Array.from({ length: d + before[k]! + after[k]! }, (_, i) => padSource(i, before[k]!, d, mode)));
  return [selectAxes(x, lists, value)];
};

const gather: Kernel = (inputs, ctx) => {
  const x = need(inputs, 0, ctx);
  const idx = need(inputs, 1, ctx);
  const axis = normAxis(getInt(ctx.node, 'axis', 0), x.dims.length);
  const dim = x.dims[axis]!;
  const outer = x.dims.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = x.dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const dims = [...x.dims.slice(0, axis), ...idx.dims, ...x.dims.slice(axis + 1)];
  const out = allocate(x.dtype, outer * idx.data.length * inner);
  let at = 0;
  for (let o = 0; o < outer; o++) {
    for (const raw of idx.data) {
      const i = raw < 0 ? raw + dim : raw;
      if (i < 0 || i >= dim) throw new RangeError(`reference: Gather index ${raw} out of range for ${dim}`);
      const base = (o * dim + i) * inner;
      out.set(x.data.subarray(base, base + inner), at);
      at += inner;
    }
  }
  return [makeRef(x.dtype, dims, out)];
};

const gatherElements: Kernel = (inputs, ctx) => {
  const x = need(inputs, 0, ctx);
  const idx = need(inputs, 1, ctx);
  const axis = normAxis(getInt(ctx.node, 'axis', 0), x.dims.length);
  const xs = stridesOf(x.dims);
  // Source offset of each index position with the axis coordinate left at 0.
  const base = stridedIndex(
    idx.dims,
    idx.dims.map((_, k) => (k === axis ? 0 : xs[k]!)),
  );
  const dim = x.dims[axis]!;
  const out = allocate(x.dtype, idx.data.length);
  for (let i = 0; i < out.length; i++) {
    const raw = idx.data[i]!;
    out[i] = x.data[base[i]! + (raw < 0 ? raw + dim : raw) * xs[axis]!]!;
  }
  return [makeRef(x.dtype, idx.dims, out)];
};

export const LAYOUT_KERNELS: Readonly<Record<string, Kernel>> = Object.freeze({
  Transpose: transpose,
  Concat: concat,
  Split: split,
  Slice: slice,
  Tile: tile,
  Pad: pad,
  Gather: gather,
  GatherElements: gatherElements,
});
