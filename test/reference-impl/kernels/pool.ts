import { getInt, getInts } from '../../../src/onnx/ir/attributes.js';
import { DataType } from '../../../src/onnx/ir/dtypes.js';
import { need, type Kernel } from '../kernel-types.js';
import { floatResult, makeRef, type RefTensor } from '../ref-tensor.js';
import { ceilModeOf, windowOf, type Window } from './window.js';

/**
 * Pooling over the spatial axes of X [N, C, H, W] (or [N, C, L]): MaxPool (pads never win; optional Indices output,
 * flat row-major int64), AveragePool (count_include_pad counts taps inside the padded extent), and the global
 * pools → [N, C, 1, 1]. Averages are summed in float64 and divided once.
 */

interface Plane {
  h: number;
  w: number;
}

/** Lift 1-D geometry to 2-D with a unit height. */
function as2d(win: Window): Window {
  if (win.kernel.length === 2) return win;
  const one = (v: number[], u: number) => [u, v[0]!];
  return {
    kernel: one(win.kernel, 1),
    strides: one(win.strides, 1),
    dilations: one(win.dilations, 1),
    padBegin: one(win.padBegin, 0),
    padEnd: one(win.padEnd, 0),
    out: one(win.out, 1),
  };
}

/** Input taps of output position `o` along `axis`: the in-range positions and how many lie in the padded extent. */
function taps(o: number, win: Window, axis: number, size: number): { pos: number[]; padded: number } {
  const start = o * win.strides[axis]! - win.padBegin[axis]!;
  const pos: number[] = [];
  let padded = 0;
  for (let k = 0; k < win.kernel[axis]!; k++) {
    const i = start + k * win.dilations[axis]!;
    if (i >= -win.padBegin[axis]! && i < size + win.padEnd[axis]!) padded++;
    if (i >= 0 && i < size) pos.push(i);
  }
  return { pos, padded };
}

function poolSetup(x: RefTensor, node: Parameters<typeof windowOf>[0]): { win: Window; plane: Plane; outDims: number[] } {
  const rank = x.dims.length;
  if (rank !== 3 && rank !== 4) throw new Error(`reference: ${node.opType} supports 1-D and 2-D only, input rank ${rank}`);
  const kernel = getInts(node, 'kernel_shape');
  if (!kernel) throw new Error(`reference: ${node.opType} ${node.name ?? ''} has no kernel_shape`);
  const raw = windowOf(node, x.dims.slice(2), kernel, ceilModeOf(node));
  const plane = { h: rank === 4 ? x.dims[2]! : 1, w: x.dims[rank - 1]! };
  return { win: as2d(raw), plane, outDims: [x.dims[0]!, x.dims[1]!, ...raw.out] };
}

type Reducer = (x: ArrayLike<number>, base: number, ys: number[], xs: number[], w: number, count: number) => [number, number];

type Taps = ReturnType<typeof taps>;

/** Apply `fn` to every window of every [H, W] plane; `countOf` gives an average's divisor. */
function runPool(
  x: RefTensor,
  win: Window,
  plane: Plane,
  countOf: (ys: Taps, xs: Taps) => number,
  fn: Reducer,
): { values: Float32Array; index: Float64Array } {
  const [oh, ow] = win.out as [number, number];
  const planes = x.dims[0]! * x.dims[1]!;
  const values = new Float32Array(planes * oh * ow);
  const index = new Float64Array(values.length);
  const rows = Array.from({ length: oh }, (_, o) => taps(o, win, 0, plane.h));
  const cols = Array.from({ length: ow }, (_, o) => taps(o, win, 1, plane.w));
  let at = 0;
  for (let p = 0; p < planes; p++) {
    const base = p * plane.h * plane.w;
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const [v, i] = fn(x.data, base, rows[oy]!.pos, cols[ox]!.pos, plane.w, countOf(rows[oy]!, cols[ox]!));
        values[at] = v;
        index[at++] = i;
      }
    }
  }
  return { values, index };
}

const maxReducer: Reducer = (x, base, ys, xs, w) => {
  let best = -Infinity;
  let arg = -1;
  for (const y of ys) {
    for (const xx of xs) {
      const i = base + y * w + xx;
      const v = x[i]!;
      if (v > best || arg < 0) [best, arg] = [v, i];
    }
  }
  return [best, arg];
};

const sumReducer: Reducer = (x, base, ys, xs, w, count) => {
  let s = 0;
  for (const y of ys) for (const xx of xs) s += x[base + y * w + xx]!;
  return [s / count, 0];
};

const maxPool: Kernel = (inputs, ctx) => {
  const x = need(inputs, 0, ctx);
  const { win, plane, outDims } = poolSetup(x, ctx.node);
  const { values, index } = runPool(x, win, plane, () => 1, maxReducer);
  return [floatResult(x.dtype, outDims, values), makeRef(DataType.INT64, outDims, index)];
};

const averagePool: Kernel = (inputs, ctx) => {
  const x = need(inputs, 0, ctx);
  const { win, plane, outDims } = poolSetup(x, ctx.node);
  const include = getInt(ctx.node, 'count_include_pad', 0) === 1;
  const count = (ys: Taps, xs: Taps) => (include ? ys.padded * xs.padded : ys.pos.length * xs.pos.length);
  return [floatResult(x.dtype, outDims, runPool(x, win, plane, count, sumReducer).values)];
};

function globalPool(max: boolean): Kernel {
  return (inputs, ctx) => {
    const x = need(inputs, 0, ctx);
    const inner = x.dims.slice(2).reduce((a, b) => a * b, 1);
    const planes = x.dims[0]! * x.dims[1]!;
    const out = new Float32Array(planes);
    for (let p = 0; p < planes; p++) {
      let acc = max ? -Infinity : 0;
      for (let i = p * inner; i < (p + 1) * inner; i++) acc = max ? Math.max(acc, x.data[i]!) : acc + x.data[i]!;
      out[p] = max ? acc : acc / inner;
    }
    return [floatResult(x.dtype, [x.dims[0]!, x.dims[1]!, ...x.dims.slice(2).map(() => 1)], out)];
  };
}

export const POOL_KERNELS: Readonly<Record<string, Kernel>> = Object.freeze({
  MaxPool: maxPool,
  AveragePool: averagePool,
  GlobalAveragePool: globalPool(false),
  GlobalMaxPool: globalPool(true),
});
