import { getInt, getInts, getString } from '../../ir/attributes.js';
import { DataType } from '../../ir/dtypes.js';
import type { Dim } from '../../ir/graph.js';
import { fail, info, isKnown } from '../dims.js';
import type { RuleContext, ShapeInfo, ShapeRule } from '../types.js';
import { checkArity, need, needShape } from './common.js';

/**
 * Convolution and pooling over NC[D1..Dn] tensors (n spatial axes, usually 2: NCHW).
 * Spatial sizes follow the ONNX formulas: with effective kernel e = (k−1)·dilation + 1,
 *   explicit pads:   out = floor((in + pad_begin + pad_end − e) / stride) + 1   (ceil with ceil_mode)
 *   SAME_UPPER/LOWER: out = ceil(in / stride)      VALID: out = floor((in − e) / stride) + 1
 * ConvTranspose: out = stride·(in − 1) + output_padding + e − pad_begin − pad_end (SAME_*: in·stride), or
 * output_shape when given.
 */

interface Window {
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** [begin_1..begin_n, end_1..end_n] */
  pads: number[];
  autoPad: string;
}

function windowOf(ctx: RuleContext, spatial: number, kernel: number[] | undefined): Window {
  const node = ctx.node;
  const k = getInts(node, 'kernel_shape') ?? kernel;
  if (!k || k.length !== spatial) fail(`${node.opType}: kernel shape unknown or of the wrong rank`);
  const strides = getInts(node, 'strides') ?? new Array<number>(spatial).fill(1);
  const dilations = getInts(node, 'dilations') ?? new Array<number>(spatial).fill(1);
  const pads = getInts(node, 'pads') ?? new Array<number>(2 * spatial).fill(0);
  if (strides.length !== spatial || dilations.length !== spatial || pads.length !== 2 * spatial) {
    fail(`${node.opType}: strides/dilations/pads do not match ${spatial} spatial axes`);
  }
  if ([...k, ...strides, ...dilations].some((v) => v < 1)) fail(`${node.opType}: non-positive kernel, stride or dilation`);
  return { kernel: k, strides, dilations, pads, autoPad: getString(node, 'auto_pad') ?? 'NOTSET' };
}

/** One spatial output size of a convolution or pool; null when the input size is not known. */
function windowDim(input: Dim, w: Window, axis: number, ceilMode: boolean): Dim {
  const n = w.kernel.length;
  const k = w.kernel[axis]!;
  const s = w.strides[axis]!;
  const d = w.dilations[axis]!;
  const pb = w.pads[axis]!;
  const pe = w.pads[axis + n]!;
  const effective = (k - 1) * d + 1;
  if (!isKnown(input)) {
    // A 1×1 window with stride 1 and no padding keeps even a symbolic size.
    const identity = effective === 1 && s === 1 && (w.autoPad !== 'NOTSET' || pb + pe === 0);
    return identity ? input : null;
  }
  let out: number;
  if (w.autoPad === 'SAME_UPPER' || w.autoPad === 'SAME_LOWER') out = Math.ceil(input / s);
  else if (w.autoPad === 'VALID') out = Math.floor((input - effective) / s) + 1;
  else {
    const total = input + pb + pe - effective;
    if (ceilMode) {
      out = Math.ceil(total / s) + 1;
      // The last window must start inside the input or the left padding (ONNX / ORT rule).
      if ((out - 1) * s >= input + pb) out -= 1;
    } else out = Math.floor(total / s) + 1;
  }
  if (out < 1) fail(`window larger than the padded input (${input})`);
  return out;
}

/** Conv(X [N,C,D…], W [M,C/group,k…], B? [M]) → [N, M, out…]. */
const conv: ShapeRule = (ctx) => {
  checkArity(ctx, 2, 3);
  const x = need(ctx, 0);
  const xs = needShape(ctx, 0);
  const ws = ctx.input(1)?.shape;
  const spatial = xs.length - 2;
  if (spatial < 1) fail('Conv: input rank < 3');
  const kernel = ws && ws.length === xs.length && ws.slice(2).every(isKnown) ? (ws.slice(2) as number[]) : undefined;
  const w = windowOf(ctx, spatial, kernel);
  const out: Dim[] = [xs[0]!, ws?.[0] ?? null];
  for (let a = 0; a < spatial; a++) out.push(windowDim(xs[a + 2]!, w, a, false));
  return [info(x.elemType, out)];
};

/** ConvTranspose(X [N,C,D…], W [C, M/group, k…], B?) → [N, M, out…]. */
const convTranspose: ShapeRule = (ctx) => {
  checkArity(ctx, 2, 3);
  const x = need(ctx, 0);
  const xs = needShape(ctx, 0);
  const ws = ctx.input(1)?.shape;
  const spatial = xs.length - 2;
  if (spatial < 1) fail('ConvTranspose: input rank < 3');
  const kernel = ws && ws.length === xs.length && ws.slice(2).every(isKnown) ? (ws.slice(2) as number[]) : undefined;
  const w = windowOf(ctx, spatial, kernel);
  const group = getInt(ctx.node, 'group', 1);
  const perGroup = ws?.[1];
  const channels = isKnown(perGroup) ? perGroup * group : null;
  const outputShape = getInts(ctx.node, 'output_shape');
  const outputPadding = getInts(ctx.node, 'output_padding') ?? new Array<number>(spatial).fill(0);
  const out: Dim[] = [xs[0]!, channels];
  for (let a = 0; a < spatial; a++) {
    if (outputShape) {
      out.push(outputShape[outputShape.length - spatial + a] ?? null);
      continue;
    }
    const input = xs[a + 2]!;
    const s = w.strides[a]!;
    if (!isKnown(input)) out.push(null);
    else if (w.autoPad === 'SAME_UPPER' || w.autoPad === 'SAME_LOWER') out.push(input * s);
    else {
      const effective = (w.kernel[a]! - 1) * w.dilations[a]! + 1;
      const pads = w.autoPad === 'VALID' ? 0 : w.pads[a]! + w.pads[a + spatial]!;
      out.push(s * (input - 1) + (outputPadding[a] ?? 0) + effective - pads);
    }
  }
  return [info(x.elemType, out)];
};

/** MaxPool / AveragePool / LpPool(X [N,C,D…]) → [N, C, out…]; MaxPool's optional Indices output is INT64. */
const pool: ShapeRule = (ctx) => {
  checkArity(ctx, 1);
  const x = need(ctx, 0);
  const xs = needShape(ctx, 0);
  const spatial = xs.length - 2;
  if (spatial < 1) fail(`${ctx.node.opType}: input rank < 3`);
  const w = windowOf(ctx, spatial, undefined);
  const ceilMode = getInt(ctx.node, 'ceil_mode', 0) !== 0;
  const out: Dim[] = [xs[0]!, xs[1]!];
  for (let a = 0; a < spatial; a++) out.push(windowDim(xs[a + 2]!, w, a, ceilMode));
  const result: ShapeInfo[] = [info(x.elemType, out)];
  if (ctx.node.outputs.length > 1) result.push(info(DataType.INT64, out));
  return result;
};

/** GlobalAveragePool / GlobalMaxPool / GlobalLpPool(X [N,C,D…]) → [N, C, 1…]. */
const globalPool: ShapeRule = (ctx) => {
  checkArity(ctx, 1);
  const x = need(ctx, 0);
  const xs = needShape(ctx, 0);
  if (xs.length < 3) fail(`${ctx.node.opType}: input rank < 3`);
  return [info(x.elemType, [xs[0]!, xs[1]!, ...xs.slice(2).map(() => 1)])];
};

export const convRules: Readonly<Record<string, ShapeRule>> = Object.freeze({
  Conv: conv,
  ConvTranspose: convTranspose,
  MaxPool: pool,
  AveragePool: pool,
  LpPool: pool,
  GlobalAveragePool: globalPool,
  GlobalMaxPool: globalPool,
  GlobalLpPool: globalPool,
});
