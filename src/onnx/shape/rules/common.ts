import { getInts } from '../../ir/attributes.js';
import type { Dim } from '../../ir/graph.js';
import { fail, info } from '../dims.js';
import { numbersOf } from '../const-value.js';
import type { RuleContext, ShapeInfo } from '../types.js';

/** Helpers shared by the per-op rule files. */

/** Type of input `i`, or throw (→ the node's outputs stay unknown). */
export function need(ctx: RuleContext, i: number): ShapeInfo {
  const t = ctx.input(i);
  if (!t) fail(`${ctx.node.opType}: input ${i} unknown`);
  return t;
}

/** Shape of input `i` (rank must be known), or throw. */
export function needShape(ctx: RuleContext, i: number): readonly Dim[] {
  const t = need(ctx, i);
  if (t.shape === undefined) fail(`${ctx.node.opType}: rank of input ${i} unknown`);
  return t.shape;
}

/** Throw unless the node has between `min` and `max` inputs. */
export function checkArity(ctx: RuleContext, min: number, max = min): void {
  if (ctx.inputCount < min || ctx.inputCount > max) fail(`${ctx.node.opType}: ${ctx.inputCount} inputs, expected ${min}..${max}`);
}

/** Output 0 has the type of input `i` (unary elementwise ops). */
export function sameAsInput(ctx: RuleContext, i = 0): ShapeInfo[] {
  const t = need(ctx, i);
  return [info(t.elemType, t.shape)];
}

/** Contents of input `i` as integers, or undefined when not known. */
export function intsOf(ctx: RuleContext, i: number): number[] | undefined {
  return numbersOf(ctx.value(i));
}

/** Input `i` is present (given and not ""). */
export function hasInput(ctx: RuleContext, i: number): boolean {
  const name = ctx.node.inputs[i];
  return name !== undefined && name !== '';
}

/**
 * An integer list that moved from an attribute to an input at some opset (axes, split, pads, …).
 * `given`: whether the node supplies it at all; `values`: its contents when known.
 */
export interface ListArg {
  given: boolean;
  values?: number[];
}

export function listArg(ctx: RuleContext, attr: string, input: number, inputSince: number): ListArg {
  if (ctx.opset < inputSince) {
    const v = getInts(ctx.node, attr);
    return v === undefined ? { given: false } : { given: true, values: v };
  }
  if (!hasInput(ctx, input)) return { given: false };
  const values = intsOf(ctx, input);
  return values === undefined ? { given: true } : { given: true, values };
}
