import { DataType } from '../../ir/dtypes.js';
import { broadcastShapes, fail, info } from '../dims.js';
import type { RuleContext, ShapeInfo, ShapeRule } from '../types.js';
import { checkArity, need, sameAsInput } from './common.js';

/**
 * Elementwise ops. Unary ops keep the input's dtype and shape. Binary and variadic ops use numpy
 * (multidirectional) broadcasting: shapes right-aligned, size-1 axes stretch, e.g. [1,3,80,80] ⊕ [3,1,1] →
 * [1,3,80,80]. Comparisons and logical ops output BOOL; arithmetic keeps the first input's dtype.
 */

const unary: ShapeRule = (ctx) => {
  checkArity(ctx, 1);
  return sameAsInput(ctx);
};

/** Unary-shaped ops with optional extra scalar inputs that do not change the shape (Clip min/max). */
const clip: ShapeRule = (ctx) => {
  checkArity(ctx, 1, 3);
  return sameAsInput(ctx);
};

/** Output shape of broadcasting inputs `from..`; the output dtype is given. */
function broadcastInputs(ctx: RuleContext, from: number, elemType: number): ShapeInfo[] {
  const shapes = [];
  for (let i = from; i < ctx.inputCount; i++) shapes.push(need(ctx, i).shape);
  return [info(elemType, broadcastShapes(shapes))];
}

const binary: ShapeRule = (ctx) => {
  checkArity(ctx, 2);
  return broadcastInputs(ctx, 0, need(ctx, 0).elemType);
};

const compare: ShapeRule = (ctx) => {
  checkArity(ctx, 2);
  return broadcastInputs(ctx, 0, DataType.BOOL);
};

const variadic: ShapeRule = (ctx) => {
  if (ctx.inputCount < 1) fail(`${ctx.node.opType}: no inputs`);
  return broadcastInputs(ctx, 0, need(ctx, 0).elemType);
};

/** Where(cond, X, Y): broadcast of all three, dtype of X. */
const where: ShapeRule = (ctx) => {
  checkArity(ctx, 3);
  const x = ctx.input(1) ?? ctx.input(2);
  if (!x) fail('Where: value dtype unknown');
  return broadcastInputs(ctx, 0, x.elemType);
};

/** PRelu(X, slope): slope broadcasts to X (unidirectionally), so the output is X's type. */
const prelu: ShapeRule = (ctx) => {
  checkArity(ctx, 2);
  return sameAsInput(ctx);
};

/** Ops with the input's dtype and shape. */
const UNARY_OPS = [
  'Relu',
  'LeakyRelu',
  'Sigmoid',
  'HardSigmoid',
  'HardSwish',
  'Tanh',
  'Exp',
  'Log',
  'Sqrt',
  'Neg',
  'Abs',
  'Sign',
  'Floor',
  'Ceil',
  'Round',
  'Reciprocal',
  'Erf',
  'Elu',
  'Selu',
  'Celu',
  'Gelu',
  'Mish',
  'Softplus',
  'Softsign',
  'ThresholdedRelu',
  'Sin',
  'Cos',
  'Tan',
  'Asin',
  'Acos',
  'Atan',
  'Sinh',
  'Cosh',
  'Asinh',
  'Acosh',
  'Atanh',
  'Softmax',
  'LogSoftmax',
  'Hardmax',
  'Identity',
  'BitwiseNot',
  'Shrink',
] as const;

const BINARY_OPS = ['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Mod', 'BitShift', 'BitwiseAnd', 'BitwiseOr', 'BitwiseXor'] as const;
const COMPARE_OPS = ['Equal', 'Greater', 'Less', 'GreaterOrEqual', 'LessOrEqual', 'And', 'Or', 'Xor'] as const;

/** Not, IsNaN, IsInf: input shape, BOOL. */
const toBool: ShapeRule = (ctx) => {
  checkArity(ctx, 1);
  return [info(DataType.BOOL, need(ctx, 0).shape)];
};

export const elementwiseRules: Readonly<Record<string, ShapeRule>> = Object.freeze({
  ...Object.fromEntries(UNARY_OPS.map((op) => [op, unary])),
  ...Object.fromEntries(BINARY_OPS.map((op) => [op, binary])),
  ...Object.fromEntries(COMPARE_OPS.map((op) => [op, compare])),
  Not: toBool,
  IsNaN: toBool,
  IsInf: toBool,
  Clip: clip,
  Min: variadic,
  Max: variadic,
  Sum: variadic,
  Mean: variadic,
  Where: where,
  PRelu: prelu,
});
