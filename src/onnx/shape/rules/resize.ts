import { getInts, getString, findAttr } from '../../ir/attributes.js';
import type { Dim } from '../../ir/graph.js';
import { fail, info, isKnown, normAxis, unknownDims } from '../dims.js';
import { numbersOf } from '../const-value.js';
import type { RuleContext, ShapeRule } from '../types.js';
import { checkArity, hasInput, need } from './common.js';

/**
 * Resize and Upsample over any rank (YOLO uses NCHW with scales [1,1,2,2]).
 * From scales: out[i] = floor(in[i] · scale[i]) (computed in float32, as ONNX Runtime does).
 * From sizes: out[i] = sizes[i]; with opset-18 keep_aspect_ratio_policy not_larger / not_smaller one common
 * scale s = min / max(sizes[i] / in[i]) is applied: out[i] = round(in[i] · s). Opset-18 `axes` restricts both
 * lists to the given axes.
 */

function scaled(d: Dim, scale: number): Dim {
  if (scale === 1) return d;
  return isKnown(d) ? Math.floor(Math.fround(d * scale)) : null;
}

/** Number of entries of a 1-D input: its contents' length when known, else its static length. */
function lengthOf(ctx: RuleContext, i: number): number | undefined {
  if (!hasInput(ctx, i)) return 0;
  const v = ctx.value(i);
  if (v) return v.values.length;
  const s = ctx.input(i)?.shape;
  return s && s.length === 1 && isKnown(s[0]) ? s[0] : undefined;
}

function withPolicy(xs: readonly Dim[], axes: number[], sizes: number[], policy: string): Dim[] {
  const out = [...xs];
  if (policy === 'stretch') {
    axes.forEach((a, j) => (out[a] = sizes[j]!));
    return out;
  }
  const ins = axes.map((a) => xs[a]);
  if (!ins.every(isKnown)) {
    axes.forEach((a) => (out[a] = null));
    return out;
  }
  const ratios = axes.map((_, j) => sizes[j]! / (ins[j] as number));
  const s = policy === 'not_larger' ? Math.min(...ratios) : Math.max(...ratios);
  axes.forEach((a, j) => (out[a] = Math.round((ins[j] as number) * s)));
  return out;
}

/** Resize(X, roi?, scales?, sizes?) (opset 10: Resize(X, scales)). */
const resize: ShapeRule = (ctx) => {
  checkArity(ctx, 2, 4);
  const x = need(ctx, 0);
  if (!x.shape) return [info(x.elemType, undefined)];
  const xs = x.shape;
  const rank = xs.length;
  const axes = (getInts(ctx.node, 'axes') ?? Array.from({ length: rank }, (_, i) => i)).map((a) => normAxis(a, rank));
  const scalesAt = ctx.opset < 11 ? 1 : 2;
  const sizesLen = ctx.opset < 11 ? 0 : lengthOf(ctx, 3);
  const scalesLen = lengthOf(ctx, scalesAt);
  if (sizesLen === undefined || scalesLen === undefined) return [info(x.elemType, unknownDims(rank))];
  if (sizesLen > 0) {
    const sizes = numbersOf(ctx.value(3));
    if (!sizes) return [info(x.elemType, unknownDims(rank))];
    if (sizes.length !== axes.length) fail('Resize: sizes length differs from the axes');
    const policy = findAttr(ctx.node, 'keep_aspect_ratio_policy')
      ? (getString(ctx.node, 'keep_aspect_ratio_policy') ?? 'stretch')
      : 'stretch';
    return [info(x.elemType, withPolicy(xs, axes, sizes, policy))];
  }
  if (scalesLen === 0) fail('Resize: neither scales nor sizes');
  const scales = numbersOf(ctx.value(scalesAt));
  if (!scales) return [info(x.elemType, unknownDims(rank))];
  if (scales.length !== axes.length) fail('Resize: scales length differs from the axes');
  const out = [...xs];
  axes.forEach((a, j) => (out[a] = scaled(xs[a]!, scales[j]!)));
  return [info(x.elemType, out)];
};

/** Upsample(X, scales) (opset 9) or Upsample(X) with a `scales` float attribute (opset 7–8). */
const upsample: ShapeRule = (ctx) => {
  checkArity(ctx, 1, 2);
  const x = need(ctx, 0);
  if (!x.shape) return [info(x.elemType, undefined)];
  const xs = x.shape;
  let scales: number[] | undefined;
  const attr = findAttr(ctx.node, 'scales');
  if (attr?.value.kind === 'floats') scales = attr.value.value;
  else if (ctx.inputCount === 2) scales = numbersOf(ctx.value(1));
  else fail('Upsample: no scales (attribute or input)');
  if (!scales) return [info(x.elemType, unknownDims(xs.length))];
  if (scales.length !== xs.length) fail('Upsample: scales length differs from rank');
  return [
    info(
      x.elemType,
      xs.map((d, i) => scaled(d, scales[i]!)),
    ),
  ];
};

export const resizeRules: Readonly<Record<string, ShapeRule>> = Object.freeze({
  Resize: resize,
  Upsample: upsample,
});
