import { getInt, getInts } from '../../ir/attributes.js';
import type { Dim } from '../../ir/graph.js';
import { broadcastShapes, dimProduct, dimSum, fail, info, isKnown, mergeDim, normAxis, unknownDims } from '../dims.js';
import type { RuleContext, ShapeRule } from '../types.js';
import { checkArity, intsOf, listArg, need, needShape } from './common.js';

/**
 * Ops that rearrange a tensor without computing on it: Reshape, Transpose, Flatten, Squeeze, Unsqueeze, Concat,
 * Expand, Tile, Pad. Dtype always follows input 0. Targets given as inputs (Reshape's shape, Expand's shape, Tile's
 * repeats, …) are read from the constant evaluator; when unknown, the rank is still inferred from the target's
 * length where possible.
 */

/** The entries of a 1-D shape-like input (may hold symbols or null), else a list of nulls of its length, else undefined. */
export function shapeTarget(ctx: RuleContext, i: number): Dim[] | undefined {
  const v = ctx.value(i);
  if (v && v.dims.length === 1) return [...v.values];
  const s = ctx.input(i)?.shape;
  if (s && s.length === 1 && isKnown(s[0])) return unknownDims(s[0]);
  return undefined;
}

/**
 * Solve one unknown entry of a reshape: size = product(input) / product(others), cancelling symbolic names that
 * appear on both sides. Null when it cannot be determined.
 */
function solveDim(input: readonly Dim[], others: readonly Dim[]): Dim {
  if (input.some((d) => d === null) || others.some((d) => d === null)) return null;
  const num = [...input];
  const den: Dim[] = [];
  for (const d of others) {
    const k = typeof d === 'string' ? num.indexOf(d) : -1;
    if (k >= 0) num.splice(k, 1);
    else den.push(d);
  }
  const top = dimProduct(num);
  const bottom = dimProduct(den);
  if (isKnown(top) && isKnown(bottom)) {
    if (bottom === 0 || top % bottom !== 0) fail(`reshape: ${top} elements do not split by ${bottom}`);
    return top / bottom;
  }
  if (typeof top === 'string' && bottom === 1) return top;
  return null;
}

/** Reshape(data, shape) → target shape; 0 copies the input dim (unless allowzero), −1 is solved. */
const reshape: ShapeRule = (ctx) => {
  const x = need(ctx, 0);
  let target: Dim[] | undefined;
  if (ctx.opset < 5) target = getInts(ctx.node, 'shape');
  else {
    checkArity(ctx, 2);
    target = shapeTarget(ctx, 1);
  }
  if (!target) return [info(x.elemType, undefined)];
  const allowZero = getInt(ctx.node, 'allowzero', 0) !== 0;
  const xs = x.shape;
  const out = target.map((d, i): Dim => (d === 0 && !allowZero ? (xs?.[i] ?? null) : d));
  let solve = out.indexOf(-1);
  if (out.filter((d) => d === -1).length > 1) fail('Reshape: more than one -1');
  if (solve < 0 && out.filter((d) => d === null).length === 1) solve = out.indexOf(null);
  if (out.some((d) => isKnown(d) && d < -1)) fail('Reshape: negative size');
  if (solve >= 0)
    out[solve] = xs
      ? solveDim(
          xs,
          out.filter((_, i) => i !== solve),
        )
      : null;
  return [info(x.elemType, out)];
};

/** Transpose(X) with perm (default: reversed axes): out[i] = in[perm[i]]. */
const transpose: ShapeRule = (ctx) => {
  checkArity(ctx, 1);
  const x = need(ctx, 0);
  if (!x.shape) return [info(x.elemType, undefined)];
  const rank = x.shape.length;
  const perm = getInts(ctx.node, 'perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
  if (perm.length !== rank || new Set(perm.map((p) => normAxis(p, rank))).size !== rank) fail('Transpose: bad perm');
  const xs = x.shape;
  return [
    info(
      x.elemType,
      perm.map((p) => xs[normAxis(p, rank)]!),
    ),
  ];
};

/** Flatten(X, axis=1) → [prod(d[:axis]), prod(d[axis:])]. */
const flatten: ShapeRule = (ctx) => {
  checkArity(ctx, 1);
  const x = need(ctx, 0);
  const xs = needShape(ctx, 0);
  const axisAttr = getInt(ctx.node, 'axis', 1);
  const axis = axisAttr < 0 ? axisAttr + xs.length : axisAttr;
  if (axis < 0 || axis > xs.length) fail('Flatten: axis out of range');
  return [info(x.elemType, [dimProduct(xs.slice(0, axis)), dimProduct(xs.slice(axis))])];
};

/** Squeeze(X, axes?) removes the listed size-1 axes, or every size-1 axis when none are listed. */
const squeeze: ShapeRule = (ctx) => {
  checkArity(ctx, 1, 2);
  const x = need(ctx, 0);
  const axes = listArg(ctx, 'axes', 1, 13);
  if (!x.shape || (axes.given && !axes.values)) return [info(x.elemType, undefined)];
  const xs = x.shape;
  if (!axes.values) {
    // Without axes every size-1 axis goes: the rank is only known when every dim is.
    return [info(x.elemType, xs.every(isKnown) ? xs.filter((d) => d !== 1) : undefined)];
  }
  const drop = new Set(axes.values.map((a) => normAxis(a, xs.length)));
  for (const a of drop) if (isKnown(xs[a]) && xs[a] !== 1) fail(`Squeeze: axis ${a} has size ${xs[a]}`);
  return [
    info(
      x.elemType,
      xs.filter((_, i) => !drop.has(i)),
    ),
  ];
};

/** Unsqueeze(X, axes) inserts size-1 axes at the listed positions of the output. */
const unsqueeze: ShapeRule = (ctx) => {
  checkArity(ctx, 1, 2);
  const x = need(ctx, 0);
  const axes = listArg(ctx, 'axes', 1, 13);
  if (!axes.given) fail('Unsqueeze: axes missing');
  if (!x.shape || !axes.values) return [info(x.elemType, undefined)];
  const rank = x.shape.length + axes.values.length;
  const at = new Set(axes.values.map((a) => normAxis(a, rank)));
  if (at.size !== axes.values.length) fail('Unsqueeze: repeated axis');
  const out: Dim[] = [];
  let k = 0;
  for (let i = 0; i < rank; i++) out.push(at.has(i) ? 1 : x.shape[k++]!);
  return [info(x.elemType, out)];
};

/** Concat(X1…Xn, axis): all ranks equal, sizes add on `axis`, other axes agree. */
const concat: ShapeRule = (ctx) => {
  if (ctx.inputCount < 1) fail('Concat: no inputs');
  const first = need(ctx, 0);
  const shapes = Array.from({ length: ctx.inputCount }, (_, i) => need(ctx, i).shape);
  const known = shapes.filter((s): s is Dim[] => s !== undefined);
  const rank = known[0]?.length;
  if (rank === undefined) return [info(first.elemType, undefined)];
  if (known.some((s) => s.length !== rank)) fail('Concat: ranks differ');
  const axis = normAxis(getInt(ctx.node, 'axis', 0), rank);
  const out: Dim[] = [];
  for (let a = 0; a < rank; a++) {
    if (a === axis) out.push(known.length === shapes.length ? dimSum(known.map((s) => s[a]!)) : null);
    else out.push(known.map((s): Dim => s[a] ?? null).reduce(mergeDim));
  }
  return [info(first.elemType, out)];
};

/** Expand(X, shape): numpy broadcast of X's shape with the target. */
const expand: ShapeRule = (ctx) => {
  checkArity(ctx, 2);
  const x = need(ctx, 0);
  const target = shapeTarget(ctx, 1);
  if (!target || !x.shape) return [info(x.elemType, undefined)];
  // A negative or symbolic target entry says nothing beyond "n or 1"; broadcastDim treats it as unknown.
  return [info(x.elemType, broadcastShapes([x.shape, target.map((d) => (isKnown(d) && d < 0 ? null : d))]))];
};

/** Tile(X, repeats) → in[i] · repeats[i]. */
const tile: ShapeRule = (ctx) => {
  checkArity(ctx, 2);
  const x = need(ctx, 0);
  if (!x.shape) return [info(x.elemType, undefined)];
  const repeats = intsOf(ctx, 1);
  if (!repeats) return [info(x.elemType, unknownDims(x.shape.length))];
  if (repeats.length !== x.shape.length) fail('Tile: repeats length differs from rank');
  return [
    info(
      x.elemType,
      x.shape.map((d, i) => (repeats[i] === 1 ? d : isKnown(d) ? d * repeats[i]! : null)),
    ),
  ];
};

/** Pad(X, pads [begin…, end…], value?, axes?) → in[i] + begin[i] + end[i]. */
const pad: ShapeRule = (ctx) => {
  checkArity(ctx, 1, 4);
  const x = need(ctx, 0);
  if (!x.shape) return [info(x.elemType, undefined)];
  const xs = x.shape;
  const rank = xs.length;
  const pads = ctx.opset < 11 ? (getInts(ctx.node, 'pads') ?? getInts(ctx.node, 'paddings')) : intsOf(ctx, 1);
  const axesArg = ctx.opset >= 18 ? listArg(ctx, 'axes', 3, 18) : { given: false };
  if (!pads || (axesArg.given && !axesArg.values)) return [info(x.elemType, unknownDims(rank))];
  const axes = axesArg.values?.map((a) => normAxis(a, rank)) ?? Array.from({ length: rank }, (_, i) => i);
  if (pads.length !== 2 * axes.length) fail('Pad: pads length does not match axes');
  const out = [...xs];
  axes.forEach((a, j) => {
    const d = out[a]!;
    const grow = pads[j]! + pads[j + axes.length]!;
    out[a] = grow === 0 ? d : isKnown(d) ? d + grow : null;
  });
  return [info(x.elemType, out)];
};

export const shapeOpRules: Readonly<Record<string, ShapeRule>> = Object.freeze({
  Reshape: reshape,
  Transpose: transpose,
  Flatten: flatten,
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  Concat: concat,
  Expand: expand,
  Tile: tile,
  Pad: pad,
});
