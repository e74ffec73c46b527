import { findAttr, getInt, getInts, getString } from '../../../src/onnx/ir/attributes.js';
import type { Node } from '../../../src/onnx/ir/graph.js';
import { need, type Kernel, type KernelContext } from '../kernel-types.js';
import { allocate, makeRef, normAxis, roundInPlace, stridesOf, toNumbers, type RefTensor } from '../ref-tensor.js';
import { selectAxes } from './layout-ops.js';

/**
 * Resize (opset 10–19) and Upsample (7, 9) for modes nearest and linear (N-D, axis by axis). Coordinates are mapped
 * in float32 as ONNX Runtime does: x_original = f(x_resized, scale, lengths) per coordinate_transformation_mode,
 * then rounded by nearest_mode, or interpolated between the clamped neighbours. Resize-10 and Upsample use
 * asymmetric coordinates with ORT's "simple" rounding (truncate when upsampling, ceil when downsampling).
 * Cubic mode, tf_crop_and_resize and antialiasing are not supported and raise.
 */

interface ResizeSpec {
  /** Output dims, and the float32 scale of each axis (output / input when sizes were given). */
  outDims: number[];
  scales: number[];
  mode: string;
  coordinate: string;
  nearest: string;
}

const f = Math.fround;

/** Float32 source coordinate of output position `x` along an axis of `inLen` → `outLen` elements. */
export function sourceCoord(x: number, scale: number, inLen: number, outLen: number, mode: string): number {
  switch (mode) {
    case 'asymmetric':
      return f(x / scale);
    case 'half_pixel':
      return f(f(f(x + 0.5) / scale) - 0.5);
    case 'pytorch_half_pixel':
      return outLen > 1 ? f(f(f(x + 0.5) / scale) - 0.5) : 0;
    case 'align_corners':
      return outLen === 1 ? 0 : f(f(x * (inLen - 1)) / (outLen - 1));
    case 'tf_half_pixel_for_nn':
      return f(f(x + 0.5) / scale);
    default:
      throw new Error(`reference: Resize coordinate_transformation_mode ${mode} is not supported`);
  }
}

/** Integer source index for float32 coordinate `c` under a nearest_mode (before clamping to the axis). */
export function nearestIndex(c: number, rule: string, downsampling: boolean): number {
  switch (rule) {
    case 'round_prefer_floor':
      return c === Math.floor(c) + 0.5 ? Math.floor(c) : Math.round(c);
    case 'round_prefer_ceil':
      return c === Math.floor(c) + 0.5 ? Math.ceil(c) : Math.round(c);
    case 'floor':
      return Math.floor(c);
    case 'ceil':
      return Math.ceil(c);
    case 'simple':
      return downsampling ? Math.ceil(c) : Math.trunc(c);
    default:
      throw new Error(`reference: Resize nearest_mode ${rule} is not supported`);
  }
}

/** Full-rank values from ones given for `axes` only (opset-18 `axes`). */
function expandAxes(values: number[], axes: number[] | undefined, rank: number, fill: (k: number) => number): number[] {
  if (!axes) return values;
  const out = Array.from({ length: rank }, (_, k) => fill(k));
  axes.forEach((a, i) => {
    out[normAxis(a, rank)] = values[i]!;
  });
  return out;
}

function resizeSpec(x: RefTensor, inputs: ReadonlyArray<RefTensor | undefined>, ctx: KernelContext): ResizeSpec {
  const node: Node = ctx.node;
  const rank = x.dims.length;
  const legacy = node.opType === 'Upsample' || ctx.opset < 11;
  const mode = getString(node, 'mode') ?? 'nearest';
  if (getInt(node, 'antialias', 0) !== 0) throw new Error('reference: Resize antialias is not supported');
  if ((getString(node, 'keep_aspect_ratio_policy') ?? 'stretch') !== 'stretch')
    throw new Error('reference: Resize keep_aspect_ratio_policy is not supported');
  const axes = getInts(node, 'axes');
  let scales: number[];
  let outDims: number[];
  const sizes = legacy ? undefined : inputs[3];
  if (sizes && sizes.data.length > 0) {
    outDims = expandAxes(toNumbers(sizes), axes, rank, (k) => x.dims[k]!);
    scales = outDims.map((d, k) => f(d / x.dims[k]!));
  } else {
    const given = findAttr(node, 'scales')?.value;
    const raw = given?.kind === 'floats' ? given.value : toNumbers(need(inputs, legacy ? 1 : 2, ctx));
    scales = expandAxes(raw.map(f), axes, rank, () => 1);
    outDims = x.dims.map((d, k) => Math.floor(f(d * scales[k]!)));
  }
  return {
    outDims,
    scales,
    mode,
    coordinate: legacy ? 'asymmetric' : (getString(node, 'coordinate_transformation_mode') ?? 'half_pixel'),
    nearest: legacy ? 'simple' : (getString(node, 'nearest_mode') ?? 'round_prefer_floor'),
  };
}

function nearest(x: RefTensor, s: ResizeSpec): RefTensor {
  const lists = x.dims.map((inLen, k) => {
    const outLen = s.outDims[k]!;
    return Array.from({ length: outLen }, (_, i) => {
      const c = sourceCoord(i, s.scales[k]!, inLen, outLen, s.coordinate);
      const j = nearestIndex(c, s.nearest, s.scales[k]! < 1);
      return Math.min(Math.max(j, 0), inLen - 1);
    });
  });
  return selectAxes(x, lists);
}

/** Linear interpolation along axis `k` from `src` (dims `dims`) to length `outLen`; float64 throughout. */
function lerpAxis(src: Float64Array, dims: number[], k: number, outLen: number, s: ResizeSpec): { data: Float64Array; dims: number[] } {
  const inLen = dims[k]!;
  const stride = stridesOf(dims)[k]!;
  const outer = dims.slice(0, k).reduce((a, b) => a * b, 1);
  const lo = new Int32Array(outLen);
  const hi = new Int32Array(outLen);
  const frac = new Float64Array(outLen);
  for (let i = 0; i < outLen; i++) {
    const c = Math.min(Math.max(sourceCoord(i, s.scales[k]!, inLen, outLen, s.coordinate), 0), inLen - 1);
    lo[i] = Math.min(Math.floor(c), inLen - 1);
    hi[i] = Math.min(lo[i]! + 1, inLen - 1);
    frac[i] = c - lo[i]!;
  }
  const outDims = [...dims];
  outDims[k] = outLen;
  const out = new Float64Array(outer * outLen * stride);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < outLen; i++) {
      const a = (o * inLen + lo[i]!) * stride;
      const b = (o * inLen + hi[i]!) * stride;
      const t = frac[i]!;
      const dst = (o * outLen + i) * stride;
      for (let j = 0; j < stride; j++) out[dst + j] = src[a + j]! * (1 - t) + src[b + j]! * t;
    }
  }
  return { data: out, dims: outDims };
}

function linear(x: RefTensor, s: ResizeSpec): RefTensor {
  let cur: { data: Float64Array; dims: number[] } = { data: Float64Array.from(x.data), dims: [...x.dims] };
  for (let k = 0; k < x.dims.length; k++) {
    if (s.outDims[k] !== x.dims[k] || s.scales[k] !== 1) cur = lerpAxis(cur.data, cur.dims, k, s.outDims[k]!, s);
  }
  const out = allocate(x.dtype, cur.data.length);
  out.set(cur.data);
  return makeRef(x.dtype, cur.dims, roundInPlace(x.dtype, out));
}

const resize: Kernel = (inputs, ctx) => {
  const x = need(inputs, 0, ctx);
  const s = resizeSpec(x, inputs, ctx);
  if (s.mode === 'nearest') return [nearest(x, s)];
  if (s.mode === 'linear' || s.mode === 'bilinear') return [linear(x, s)];
  throw new Error(`reference: Resize mode ${s.mode} is not supported`);
};

export const RESIZE_KERNELS: Readonly<Record<string, Kernel>> = Object.freeze({
  Resize: resize,
  Upsample: resize,
});
