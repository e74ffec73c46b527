import { getInt, getString } from '../../ir/attributes.js';
import { DataType } from '../../ir/dtypes.js';
import type { Dim } from '../../ir/graph.js';
import { broadcastDim, broadcastShapes, fail, info } from '../dims.js';
import type { ShapeRule } from '../types.js';
import { checkArity, need, needShape } from './common.js';

/**
 * Matrix products. MatMul follows numpy.matmul: A [..., M, K] · B [..., K, N] → [broadcast(...), M, N]; a 1-D A
 * gains (then loses) a leading 1, a 1-D B a trailing 1. Gemm: A [M,K] (or [K,M] with transA) · B [K,N] (or [N,K]
 * with transB) → [M, N]. Einsum supports explicit and implicit outputs and one ellipsis per term.
 */

function matmulShape(a: readonly Dim[], b: readonly Dim[]): Dim[] {
  if (a.length === 0 || b.length === 0) fail('MatMul: scalar operand');
  const a2 = a.length === 1 ? [1, a[0]!] : [...a];
  const b2 = b.length === 1 ? [b[0]!, 1] : [...b];
  broadcastDim(a2[a2.length - 1]!, b2[b2.length - 2]!); // K must agree (throws on a static mismatch)
  const batch = broadcastShapes([a2.slice(0, -2), b2.slice(0, -2)])!;
  const out = [...batch];
  if (a.length > 1) out.push(a2[a2.length - 2]!);
  if (b.length > 1) out.push(b2[b2.length - 1]!);
  return out;
}

const matmul: ShapeRule = (ctx) => {
  checkArity(ctx, 2);
  const a = need(ctx, 0);
  return [info(a.elemType, matmulShape(needShape(ctx, 0), needShape(ctx, 1)))];
};

/** MatMulInteger(A, B, a_zero?, b_zero?) → INT32 with MatMul's shape. */
const matmulInteger: ShapeRule = (ctx) => {
  checkArity(ctx, 2, 4);
  return [info(DataType.INT32, matmulShape(needShape(ctx, 0), needShape(ctx, 1)))];
};

const gemm: ShapeRule = (ctx) => {
  checkArity(ctx, 2, 3);
  const a = need(ctx, 0);
  const as = needShape(ctx, 0);
  const bs = needShape(ctx, 1);
  if (as.length !== 2 || bs.length !== 2) fail('Gemm: operands must be 2-D');
  const m = getInt(ctx.node, 'transA', 0) ? as[1]! : as[0]!;
  const n = getInt(ctx.node, 'transB', 0) ? bs[0]! : bs[1]!;
  return [info(a.elemType, [m, n])];
};

interface Term {
  letters: string[];
  /** Index in `letters` where '...' stands, or -1. */
  ellipsis: number;
}

function parseTerm(text: string): Term {
  const t = text.trim();
  const at = t.indexOf('...');
  if (at >= 0 && t.indexOf('...', at + 1) >= 0) fail('Einsum: two ellipses in one term');
  const letters = t.replace('...', '').split('');
  if (letters.some((c) => !/^[A-Za-z]$/.test(c))) fail(`Einsum: bad term "${text}"`);
  return { letters, ellipsis: at >= 0 ? t.slice(0, at).length : -1 };
}

/** Einsum(equation, inputs…): each letter's size is taken (broadcast) from the inputs that name it. */
const einsum: ShapeRule = (ctx) => {
  const eq = getString(ctx.node, 'equation');
  if (!eq) fail('Einsum: no equation');
  const [lhs, rhs] = eq.replace(/\s+/g, '').split('->') as [string, string | undefined];
  const terms = lhs.split(',').map(parseTerm);
  if (terms.length !== ctx.inputCount) fail('Einsum: term count differs from input count');
  const sizes = new Map<string, Dim>();
  const counts = new Map<string, number>();
  const ellipsisShapes: Dim[][] = [];
  terms.forEach((term, i) => {
    const shape = needShape(ctx, i);
    const ell = term.ellipsis >= 0 ? shape.length - term.letters.length : 0;
    if (ell < 0 || (term.ellipsis < 0 && shape.length !== term.letters.length)) fail('Einsum: term rank differs from input');
    if (term.ellipsis >= 0) ellipsisShapes.push(shape.slice(term.ellipsis, term.ellipsis + ell));
    term.letters.forEach((c, j) => {
      const d = shape[j < term.ellipsis || term.ellipsis < 0 ? j : j + ell]!;
      sizes.set(c, sizes.has(c) ? broadcastDim(sizes.get(c)!, d) : d);
      counts.set(c, (counts.get(c) ?? 0) + 1);
    });
  });
  const ellipsisDims = broadcastShapes(ellipsisShapes) ?? [];
  let out: Dim[];
  if (rhs !== undefined) {
    const term = parseTerm(rhs);
    out = term.letters.map((c) => (sizes.has(c) ? sizes.get(c)! : fail(`Einsum: output letter ${c} not in inputs`)));
    if (term.ellipsis >= 0) out.splice(term.ellipsis, 0, ...ellipsisDims);
  } else {
    const once = [...counts]
      .filter(([, n]) => n === 1)
      .map(([c]) => c)
      .sort();
    out = [...ellipsisDims, ...once.map((c) => sizes.get(c)!)];
  }
  return [info(need(ctx, 0).elemType, out)];
};

export const matmulRules: Readonly<Record<string, ShapeRule>> = Object.freeze({
  MatMul: matmul,
  MatMulInteger: matmulInteger,
  Gemm: gemm,
  Einsum: einsum,
});
