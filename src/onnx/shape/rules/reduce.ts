import { getInt } from '../../ir/attributes.js';
import { DataType } from '../../ir/dtypes.js';
import type { Dim } from '../../ir/graph.js';
import { fail, info, isKnown, normAxis, unknownDims } from '../dims.js';
import { scalarOf } from '../const-value.js';
import type { RuleContext, ShapeRule } from '../types.js';
import { checkArity, hasInput, listArg, need } from './common.js';

/**
 * Reductions: Reduce* over `axes` (attribute before opset 18 — 13 for ReduceSum — then an input), keepdims=1
 * keeps reduced axes as size 1, no axes reduces every axis (or none with noop_with_empty_axes). ArgMax/ArgMin
 * reduce one axis to INT64 indices. TopK(X, K, axis=-1) replaces axis with K for both values and INT64 indices.
 */

function reducedShape(xs: readonly Dim[], axes: Set<number>, keepDims: boolean): Dim[] {
  const out: Dim[] = [];
  xs.forEach((d, i) => {
    if (!axes.has(i)) out.push(d);
    else if (keepDims) out.push(1);
  });
  return out;
}

function reduceRule(inputSince: number): ShapeRule {
  return (ctx: RuleContext) => {
    checkArity(ctx, 1, 2);
    const x = need(ctx, 0);
    const keepDims = getInt(ctx.node, 'keepdims', 1) !== 0;
    const axes = listArg(ctx, 'axes', 1, inputSince);
    if (!x.shape) return [info(x.elemType, undefined)];
    const xs = x.shape;
    if (axes.given && !axes.values) {
      const n = ctx.input(1)?.shape?.[0];
      if (keepDims) return [info(x.elemType, unknownDims(xs.length))];
      return [info(x.elemType, isKnown(n) ? unknownDims(xs.length - n) : undefined)];
    }
    const list = axes.values ?? [];
    if (list.length === 0) {
      const noop = ctx.opset >= inputSince && getInt(ctx.node, 'noop_with_empty_axes', 0) !== 0;
      if (noop) return [info(x.elemType, xs)];
      return [info(x.elemType, reducedShape(xs, new Set(xs.keys()), keepDims))];
    }
    return [info(x.elemType, reducedShape(xs, new Set(list.map((a) => normAxis(a, xs.length))), keepDims))];
  };
}

/** ArgMax / ArgMin(X, axis=0, keepdims=1) → INT64. */
const argReduce: ShapeRule = (ctx) => {
  checkArity(ctx, 1);
  const xs = need(ctx, 0).shape;
  if (!xs) return [info(DataType.INT64, undefined)];
  const axis = normAxis(getInt(ctx.node, 'axis', 0), xs.length);
  return [info(DataType.INT64, reducedShape(xs, new Set([axis]), getInt(ctx.node, 'keepdims', 1) !== 0))];
};

/** TopK(X, K) → values (X's dtype) and indices (INT64), both with `axis` replaced by K. */
const topK: ShapeRule = (ctx) => {
  const x = need(ctx, 0);
  let k: Dim;
  if (ctx.opset < 10) {
    checkArity(ctx, 1);
    k = getInt(ctx.node, 'k') ?? fail('TopK: k missing');
  } else {
    checkArity(ctx, 2);
    k = hasInput(ctx, 1) ? (scalarOf(ctx.value(1)) ?? null) : fail('TopK: K missing');
  }
  if (!x.shape) return [info(x.elemType, undefined), info(DataType.INT64, undefined)];
  const out = [...x.shape];
  const axis = normAxis(getInt(ctx.node, 'axis', -1), out.length);
  const d = out[axis]!;
  if (isKnown(k) && isKnown(d) && k > d) fail(`TopK: K=${k} exceeds axis size ${d}`);
  out[axis] = k;
  return [info(x.elemType, out), info(DataType.INT64, out)];
};

const REDUCE_OPS = [
  'ReduceMax',
  'ReduceMin',
  'ReduceMean',
  'ReduceProd',
  'ReduceL1',
  'ReduceL2',
  'ReduceLogSum',
  'ReduceLogSumExp',
  'ReduceSumSquare',
] as const;

export const reduceRules: Readonly<Record<string, ShapeRule>> = Object.freeze({
  ...Object.fromEntries(REDUCE_OPS.map((op) => [op, reduceRule(18)])),
  ReduceSum: reduceRule(13),
  ArgMax: argReduce,
  ArgMin: argReduce,
  TopK: topK,
});
