import { findAttr, getInt, getTensorAttr } from '../../ir/attributes.js';
import { DataType } from '../../ir/dtypes.js';
import type { Dim } from '../../ir/graph.js';
import { fail, info, isKnown } from '../dims.js';
import { numbersOf } from '../const-value.js';
import type { RuleContext, ShapeInfo, ShapeRule } from '../types.js';
import { checkArity, hasInput, need, sameAsInput } from './common.js';
import { shapeTarget } from './shape-ops.js';

/**
 * Ops that make tensors or change dtypes: Constant, Shape, Size, Cast, CastLike, Range, ConstantOfShape, and the
 * shape-preserving layers whose dtypes need care (normalization, Dropout, Quantize/DequantizeLinear, CumSum,
 * NonMaxSuppression).
 */

/** Constant: the type of whichever value_* attribute is set. */
const constant: ShapeRule = (ctx) => {
  checkArity(ctx, 0);
  const t = getTensorAttr(ctx.node, 'value');
  if (t) return [info(t.dtype, t.dims)];
  for (const a of ctx.node.attributes) {
    const v = a.value;
    if (a.name === 'value_float' && v.kind === 'float') return [info(DataType.FLOAT, [])];
    if (a.name === 'value_floats' && v.kind === 'floats') return [info(DataType.FLOAT, [v.value.length])];
    if (a.name === 'value_int' && v.kind === 'int') return [info(DataType.INT64, [])];
    if (a.name === 'value_ints' && v.kind === 'ints') return [info(DataType.INT64, [v.value.length])];
    if (a.name === 'value_string' && v.kind === 'string') return [info(DataType.STRING, [])];
    if (a.name === 'value_strings' && v.kind === 'strings') return [info(DataType.STRING, [v.value.length])];
  }
  return undefined;
};

/** Shape(X, start?, end?) → INT64 [end − start] (opset 15 slicing of the shape vector). */
export function shapeRange(ctx: RuleContext, rank: number): [number, number] {
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + rank : v, 0), rank);
  return [clamp(getInt(ctx.node, 'start', 0)), clamp(getInt(ctx.node, 'end', rank))];
}

const shape: ShapeRule = (ctx) => {
  checkArity(ctx, 1);
  const xs = need(ctx, 0).shape;
  if (!xs) return [info(DataType.INT64, [null])];
  const [start, end] = shapeRange(ctx, xs.length);
  return [info(DataType.INT64, [Math.max(0, end - start)])];
};

const size: ShapeRule = (ctx) => {
  checkArity(ctx, 1);
  return [info(DataType.INT64, [])];
};

/** Cast(X, to) → X's shape with dtype `to`. */
const cast: ShapeRule = (ctx) => {
  checkArity(ctx, 1);
  const to = getInt(ctx.node, 'to') ?? fail('Cast: no "to"');
  return [info(to, need(ctx, 0).shape)];
};

/** CastLike(X, like) → X's shape with like's dtype. */
const castLike: ShapeRule = (ctx) => {
  checkArity(ctx, 2);
  return [info(need(ctx, 1).elemType, need(ctx, 0).shape)];
};

/** Range(start, limit, delta) → 1-D of max(ceil((limit − start) / delta), 0) elements, dtype of start. */
const range: ShapeRule = (ctx) => {
  checkArity(ctx, 3);
  const t = need(ctx, 0);
  const [s, l, d] = [0, 1, 2].map((i) => numbersOf(ctx.value(i))?.[0]);
  if (s === undefined || l === undefined || d === undefined) return [info(t.elemType, [null])];
  if (d === 0) fail('Range: delta 0');
  return [info(t.elemType, [Math.max(Math.ceil((l - s) / d), 0)])];
};

/** ConstantOfShape(shape) → the given shape, dtype of the `value` attribute (default FLOAT). */
const constantOfShape: ShapeRule = (ctx) => {
  checkArity(ctx, 1);
  const value = getTensorAttr(ctx.node, 'value');
  const target = shapeTarget(ctx, 0);
  if (target?.some((d) => isKnown(d) && d < 0)) fail('ConstantOfShape: negative size');
  return [info(value?.dtype ?? DataType.FLOAT, target)];
};

/** BatchNormalization(X, scale, B, mean, var) → X; training outputs (running mean/var…) are [C]. */
const batchNorm: ShapeRule = (ctx) => {
  checkArity(ctx, 5);
  const x = need(ctx, 0);
  const c = x.shape?.[1] ?? null;
  const stat = ctx.input(3)?.elemType ?? x.elemType;
  return [info(x.elemType, x.shape), ...ctx.node.outputs.slice(1).map(() => info(stat, [c]))];
};

/** LayerNormalization(X, scale, B?, axis=-1) → X; Mean/InvStdDev keep axes before `axis` and 1 after. */
const layerNorm: ShapeRule = (ctx) => {
  checkArity(ctx, 2, 3);
  const x = need(ctx, 0);
  const out: ShapeInfo[] = [info(x.elemType, x.shape)];
  if (ctx.node.outputs.length > 1) {
    const xs = x.shape;
    const axis = getInt(ctx.node, 'axis', -1);
    const a = xs ? (axis < 0 ? axis + xs.length : axis) : 0;
    const stat = xs ? xs.map((d, i): Dim => (i < a ? d : 1)) : undefined;
    const stash = getInt(ctx.node, 'stash_type', DataType.FLOAT);
    for (let i = 1; i < ctx.node.outputs.length; i++) out.push(info(stash, stat));
  }
  return out;
};

/** Dropout(X, ratio?, training_mode?) → X and a mask of X's shape (BOOL from opset 10). */
const dropout: ShapeRule = (ctx) => {
  checkArity(ctx, 1, 3);
  const x = need(ctx, 0);
  const mask = ctx.opset >= 10 ? DataType.BOOL : x.elemType;
  return [info(x.elemType, x.shape), info(mask, x.shape)];
};

/** QuantizeLinear(x, scale, zero_point?) → x's shape; dtype of the zero point, else output_dtype, else UINT8. */
const quantize: ShapeRule = (ctx) => {
  checkArity(ctx, 2, 3);
  const x = need(ctx, 0);
  let dtype: number = DataType.UINT8;
  if (hasInput(ctx, 2)) dtype = need(ctx, 2).elemType;
  else if (findAttr(ctx.node, 'output_dtype')) dtype = getInt(ctx.node, 'output_dtype', 0) || DataType.UINT8;
  return [info(dtype, x.shape)];
};

/** DequantizeLinear(x, scale, zero_point?) → x's shape; dtype of the scale (output_dtype when set). */
const dequantize: ShapeRule = (ctx) => {
  checkArity(ctx, 2, 3);
  const x = need(ctx, 0);
  const dtype = getInt(ctx.node, 'output_dtype', 0) || (ctx.input(1)?.elemType ?? DataType.FLOAT);
  return [info(dtype, x.shape)];
};

/** DynamicQuantizeLinear(x) → y UINT8 (x's shape), y_scale FLOAT [], y_zero_point UINT8 []. */
const dynamicQuantize: ShapeRule = (ctx) => {
  checkArity(ctx, 1);
  return [info(DataType.UINT8, need(ctx, 0).shape), info(DataType.FLOAT, []), info(DataType.UINT8, [])];
};

/** NonMaxSuppression(...) → INT64 [selected (unknown), 3]. */
const nms: ShapeRule = (ctx) => {
  checkArity(ctx, 2, 5);
  return [info(DataType.INT64, [null, 3])];
};

/** Ops whose extra inputs do not change the shape: output 0 is input 0's type. */
const passThrough: ShapeRule = (ctx) => {
  if (ctx.inputCount < 1) fail(`${ctx.node.opType}: no inputs`);
  return sameAsInput(ctx);
};

export const tensorOpRules: Readonly<Record<string, ShapeRule>> = Object.freeze({
  Constant: constant,
  Shape: shape,
  Size: size,
  Cast: cast,
  CastLike: castLike,
  Range: range,
  ConstantOfShape: constantOfShape,
  BatchNormalization: batchNorm,
  LayerNormalization: layerNorm,
  InstanceNormalization: passThrough,
  GroupNormalization: passThrough,
  LpNormalization: passThrough,
  LRN: passThrough,
  CumSum: passThrough,
  Trilu: passThrough,
  Dropout: dropout,
  QuantizeLinear: quantize,
  DequantizeLinear: dequantize,
  DynamicQuantizeLinear: dynamicQuantize,
  NonMaxSuppression: nms,
});
