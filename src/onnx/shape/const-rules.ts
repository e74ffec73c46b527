import { getInt, getTensorAttr } from '../ir/attributes.js';
import { DataType, type DataTypeCode } from '../ir/dtypes.js';
import type { Dim } from '../ir/graph.js';
import { elementCount } from '../ir/tensor.js';
import { dimProduct, fail, isStatic, normAxis } from './dims.js';
import {
  broadcastMap,
  castNumber,
  concatValues,
  constFromTensor,
  gatherValues,
  isIntegerType,
  numbersOf,
  selectValues,
} from './const-value.js';
import { readSlice, sliceIndices } from './rules/slice-split.js';
import { shapeRange } from './rules/tensor-ops.js';
import type { ConstRule, ConstValue, RuleContext } from './types.js';

/**
 * The constant evaluator: per-op functions computing the contents of small tensors, so that shape-computing
 * subgraphs (Shape → Gather → Unsqueeze → Concat → Reshape, scales for Resize, Range → Expand targets, …) give
 * static shapes. Integer tensors may carry symbolic or unknown entries (see ConstValue); arithmetic on them gives
 * unknown except for identities (x + 0, x · 1, x − 0, x / 1).
 */

function inputs(ctx: RuleContext): ConstValue[] {
  const out: ConstValue[] = [];
  for (let i = 0; i < ctx.inputCount; i++) out.push(ctx.value(i) ?? fail('input not constant'));
  return out;
}

/** The input's contents with the dims the shape rule inferred (Identity, Reshape, Squeeze, Unsqueeze, Flatten). */
const reshapeLike: ConstRule = (ctx, outputs) => {
  const v = ctx.value(0);
  const dims = outputs[0]?.shape;
  if (!v || !isStatic(dims) || elementCount(dims) !== v.values.length) return undefined;
  return [{ dtype: v.dtype, dims, values: v.values }];
};

const constant: ConstRule = (ctx, _outputs, limit) => {
  const t = getTensorAttr(ctx.node, 'value');
  if (t) return [constFromTensor(t, limit)];
  for (const a of ctx.node.attributes) {
    const v = a.value;
    if (a.name === 'value_float' && v.kind === 'float') return [{ dtype: DataType.FLOAT, dims: [], values: [v.value] }];
    if (a.name === 'value_floats' && v.kind === 'floats') return [{ dtype: DataType.FLOAT, dims: [v.value.length], values: [...v.value] }];
    if (a.name === 'value_int' && v.kind === 'int') return [{ dtype: DataType.INT64, dims: [], values: [Number(v.value)] }];
    if (a.name === 'value_ints' && v.kind === 'ints')
      return [{ dtype: DataType.INT64, dims: [v.value.length], values: v.value.map(Number) }];
  }
  return undefined;
};

/** Shape(X): the dims of X, symbolic and unknown entries included. */
const shape: ConstRule = (ctx) => {
  const xs = ctx.input(0)?.shape;
  if (!xs) return undefined;
  const [start, end] = shapeRange(ctx, xs.length);
  const values = xs.slice(start, Math.max(start, end));
  return [{ dtype: DataType.INT64, dims: [values.length], values }];
};

const size: ConstRule = (ctx) => {
  const xs = ctx.input(0)?.shape;
  const n = xs ? dimProduct(xs) : null;
  return typeof n === 'number' ? [{ dtype: DataType.INT64, dims: [], values: [n] }] : undefined;
};

const gather: ConstRule = (ctx) => {
  const [data, idx] = inputs(ctx) as [ConstValue, ConstValue];
  const axis = normAxis(getInt(ctx.node, 'axis', 0), data.dims.length);
  const len = data.dims[axis]!;
  const raw = numbersOf(idx) ?? fail('Gather: indices unknown');
  return [
    gatherValues(
      data,
      axis,
      raw.map((i) => (i < 0 ? i + len : i)),
      idx.dims,
    ),
  ];
};

const concat: ConstRule = (ctx) => {
  const parts = inputs(ctx);
  const axis = normAxis(getInt(ctx.node, 'axis', 0), parts[0]!.dims.length);
  return [concatValues(parts, axis)];
};

const slice: ConstRule = (ctx) => {
  const data = ctx.value(0) ?? fail('Slice: data unknown');
  const spec = readSlice(ctx, data.dims.length);
  if (!spec.axes || !spec.starts || !spec.ends || !spec.steps) return undefined;
  const picks = data.dims.map((d) => Array.from({ length: d }, (_, i) => i));
  spec.axes.forEach((a, j) => (picks[a] = sliceIndices(data.dims[a]!, spec.starts![j]!, spec.ends![j]!, spec.steps![j]!)));
  return [selectValues(data, picks)];
};

function castValues(v: ConstValue, to: DataTypeCode): ConstValue {
  const keepSymbols = isIntegerType(v.dtype) && isIntegerType(to) && to !== DataType.BOOL;
  const values = v.values.map((x) => (typeof x === 'number' ? castNumber(x, to) : keepSymbols ? x : null));
  return { dtype: to, dims: v.dims, values };
}

const cast: ConstRule = (ctx) => [castValues(ctx.value(0) ?? fail('Cast: input unknown'), getInt(ctx.node, 'to') ?? fail('Cast: no to'))];
const castLike: ConstRule = (ctx) => {
  const like = ctx.input(1) ?? fail('CastLike: target unknown');
  return [castValues(ctx.value(0) ?? fail('CastLike: input unknown'), like.elemType)];
};

type Arith = (a: number, b: number) => number;

/** Binary arithmetic under broadcasting; `identity` is the right operand that leaves a symbol unchanged. */
function arithmetic(op: Arith, identity: number | undefined, commutes: boolean): ConstRule {
  return (ctx, _outputs, limit) => {
    const [a, b] = inputs(ctx) as [ConstValue, ConstValue];
    const int = isIntegerType(a.dtype);
    return [
      broadcastMap([a, b], a.dtype, limit, ([x, y]) => {
        if (typeof x === 'number' && typeof y === 'number') {
          const r = op(x, y);
          if (!Number.isFinite(r)) return int ? null : r;
          return int ? Math.trunc(r) : castNumber(r, a.dtype);
        }
        if (identity !== undefined && y === identity) return x!;
        if (commutes && identity !== undefined && x === identity) return y!;
        return null;
      }),
    ];
  };
}

/** Min / Max over any number of inputs, broadcast. */
function extremum(pick: (...xs: number[]) => number): ConstRule {
  return (ctx, _outputs, limit) => {
    const all = inputs(ctx);
    return [broadcastMap(all, all[0]!.dtype, limit, (xs) => (xs.every((x) => typeof x === 'number') ? pick(...(xs as number[])) : null))];
  };
}

function compare(op: (a: number, b: number) => boolean): ConstRule {
  return (ctx, _outputs, limit) => {
    const [a, b] = inputs(ctx) as [ConstValue, ConstValue];
    return [
      broadcastMap([a, b], DataType.BOOL, limit, ([x, y]) => {
        if (typeof x === 'number' && typeof y === 'number') return op(x, y) ? 1 : 0;
        if (op === equal && typeof x === 'string' && x === y) return 1;
        return null;
      }),
    ];
  };
}
const equal = (a: number, b: number) => a === b;

function unaryMath(op: (x: number) => number): ConstRule {
  return (ctx) => {
    const v = ctx.value(0) ?? fail('input unknown');
    return [{ dtype: v.dtype, dims: v.dims, values: v.values.map((x) => (typeof x === 'number' ? castNumber(op(x), v.dtype) : null)) }];
  };
}

/** Round half to even, as ONNX Round does. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const not: ConstRule = (ctx) => {
  const v = ctx.value(0) ?? fail('Not: input unknown');
  return [{ dtype: DataType.BOOL, dims: v.dims, values: v.values.map((x) => (typeof x === 'number' ? (x ? 0 : 1) : null)) }];
};

const where: ConstRule = (ctx, _outputs, limit) => {
  const [c, x, y] = inputs(ctx) as [ConstValue, ConstValue, ConstValue];
  return [broadcastMap([c, x, y], x.dtype, limit, ([k, a, b]) => (typeof k === 'number' ? (k ? a! : b!) : null))];
};

const range: ConstRule = (ctx, _outputs, limit) => {
  const [s, l, d] = inputs(ctx).map((v) => numbersOf(v)?.[0] ?? fail('Range: argument unknown')) as [number, number, number];
  const n = Math.max(Math.ceil((l - s) / d), 0);
  if (n > limit) return undefined;
  return [{ dtype: ctx.value(0)!.dtype, dims: [n], values: Array.from({ length: n }, (_, i) => s + i * d) }];
};

const constantOfShape: ConstRule = (ctx, _outputs, limit) => {
  const dims = numbersOf(ctx.value(0)) ?? fail('ConstantOfShape: shape unknown');
  const n = elementCount(dims);
  if (n > limit) return undefined;
  const t = getTensorAttr(ctx.node, 'value');
  const fill = t ? constFromTensor(t, 1) : { dtype: DataType.FLOAT, dims: [1], values: [0] };
  if (fill?.values.length !== 1) return undefined;
  return [{ dtype: fill.dtype, dims, values: new Array<Dim>(n).fill(fill.values[0]!) }];
};

/** Expand(X, shape): X broadcast to the inferred output dims. */
const expand: ConstRule = (ctx, outputs, limit) => {
  const v = ctx.value(0) ?? fail('Expand: input unknown');
  const dims = outputs[0]?.shape;
  if (!isStatic(dims) || elementCount(dims) > limit) return undefined;
  const target: ConstValue = { dtype: v.dtype, dims, values: new Array<Dim>(elementCount(dims)).fill(null) };
  return [broadcastMap([v, target], v.dtype, limit, ([x]) => x!)];
};

export const constRules: Readonly<Record<string, ConstRule>> = Object.freeze({
  Constant: constant,
  Shape: shape,
  Size: size,
  Identity: reshapeLike,
  Reshape: reshapeLike,
  Flatten: reshapeLike,
  Squeeze: reshapeLike,
  Unsqueeze: reshapeLike,
  Gather: gather,
  Concat: concat,
  Slice: slice,
  Cast: cast,
  CastLike: castLike,
  Add: arithmetic((a, b) => a + b, 0, true),
  Sub: arithmetic((a, b) => a - b, 0, false),
  Mul: arithmetic((a, b) => a * b, 1, true),
  Div: arithmetic((a, b) => a / b, 1, false),
  Min: extremum(Math.min),
  Max: extremum(Math.max),
  Neg: unaryMath((x) => -x),
  Abs: unaryMath(Math.abs),
  Floor: unaryMath(Math.floor),
  Ceil: unaryMath(Math.ceil),
  Round: unaryMath(roundHalfEven),
  Sqrt: unaryMath(Math.sqrt),
  Equal: compare(equal),
  Greater: compare((a, b) => a > b),
  Less: compare((a, b) => a < b),
  GreaterOrEqual: compare((a, b) => a >= b),
  LessOrEqual: compare((a, b) => a <= b),
  And: compare((a, b) => a !== 0 && b !== 0),
  Or: compare((a, b) => a !== 0 || b !== 0),
  Not: not,
  Where: where,
  Range: range,
  ConstantOfShape: constantOfShape,
  Expand: expand,
});
