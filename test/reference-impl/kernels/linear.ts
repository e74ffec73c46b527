import { getFloat, getInt, getString } from '../../../src/onnx/ir/attributes.js';
import { need, type Kernel } from '../kernel-types.js';
import {
  broadcastDims,
  broadcastIndex,
  floatResult,
  makeRef,
  roundInPlace,
  allocate,
  stridesOf,
  type RefData,
  type RefTensor,
} from '../ref-tensor.js';

/**
 * Matrix products: MatMul (numpy semantics: 1-D operands promoted and squeezed, batch dims broadcast), Gemm
 * (transA/transB, alpha, beta, C broadcast to [M, N]) and Einsum (explicit or implicit output, no ellipsis).
 * Dot products accumulate in float64 and are rounded once.
 */

/** acc[M, N] = a[M, K] · b[K, N] for row-major operands at offsets `ao`, `bo`; returns float64. */
function matmul2d(a: RefData, ao: number, b: RefData, bo: number, m: number, k: number, n: number, out: Float64Array, oo: number): void {
  for (let i = 0; i < m; i++) {
    const row = oo + i * n;
    for (let p = 0; p < k; p++) {
      const av = a[ao + i * k + p]!;
      if (av === 0) continue;
      const bRow = bo + p * n;
      for (let j = 0; j < n; j++) out[row + j]! += av * b[bRow + j]!;
    }
  }
}

const matMul: Kernel = (inputs, ctx) => {
  const a0 = need(inputs, 0, ctx);
  const b0 = need(inputs, 1, ctx);
  const a = a0.dims.length === 1 ? { ...a0, dims: [1, a0.dims[0]!] } : a0;
  const b = b0.dims.length === 1 ? { ...b0, dims: [b0.dims[0]!, 1] } : b0;
  const [m, k] = a.dims.slice(-2) as [number, number];
  const n = b.dims.at(-1)!;
  if (b.dims.at(-2) !== k) throw new RangeError(`reference: MatMul ${JSON.stringify(a0.dims)} × ${JSON.stringify(b0.dims)}`);
  const batch = broadcastDims(a.dims.slice(0, -2), b.dims.slice(0, -2));
  // Batch offsets of each operand, in units of whole matrices.
  const ia = broadcastIndex(a.dims.slice(0, -2), batch);
  const ib = broadcastIndex(b.dims.slice(0, -2), batch);
  const out = new Float64Array(ia.length * m * n);
  for (let t = 0; t < ia.length; t++) matmul2d(a.data, ia[t]! * m * k, b.data, ib[t]! * k * n, m, k, n, out, t * m * n);
  const dims = [...batch, ...(a0.dims.length === 1 ? [] : [m]), ...(b0.dims.length === 1 ? [] : [n])];
  return [floatResult(a0.dtype, dims, Float32Array.from(out))];
};

/** Row-major copy of a 2-D tensor, transposed when `trans`. */
function oriented(t: RefTensor, trans: boolean): { data: RefData; rows: number; cols: number } {
  const [r, c] = t.dims as [number, number];
  if (!trans) return { data: t.data, rows: r, cols: c };
  const data = new Float64Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) data[j * r + i] = t.data[i * c + j]!;
  return { data, rows: c, cols: r };
}

const gemm: Kernel = (inputs, ctx) => {
  const a = oriented(need(inputs, 0, ctx), getInt(ctx.node, 'transA', 0) === 1);
  const b = oriented(need(inputs, 1, ctx), getInt(ctx.node, 'transB', 0) === 1);
  const alpha = Math.fround(getFloat(ctx.node, 'alpha', 1));
  const beta = Math.fround(getFloat(ctx.node, 'beta', 1));
  const [m, n] = [a.rows, b.cols];
  const acc = new Float64Array(m * n);
  matmul2d(a.data, 0, b.data, 0, m, a.cols, n, acc, 0);
  const c = inputs[2];
  const ic = c ? broadcastIndex(c.dims, [m, n]) : undefined;
  const out = new Float32Array(m * n);
  for (let i = 0; i < out.length; i++) out[i] = alpha * acc[i]! + (c && ic ? beta * c.data[ic[i]!]! : 0);
  return [floatResult(need(inputs, 0, ctx).dtype, [m, n], out)];
};

/** Parse "ab,bc->ac" (implicit output: letters used once, sorted). */
function parseEinsum(eq: string, count: number): { terms: string[]; output: string } {
  const clean = eq.replace(/\s+/g, '');
  if (clean.includes('.')) throw new Error('reference: Einsum with ellipsis is not supported');
  const [lhs, rhs] = clean.split('->') as [string, string | undefined];
  const terms = lhs.split(',');
  if (terms.length !== count) throw new Error(`reference: Einsum "${eq}" names ${terms.length} operands, got ${count}`);
  const letters = [...lhs.replace(/,/g, '')];
  const output =
    rhs ??
    [...new Set(letters)]
      .filter((l) => letters.indexOf(l) === letters.lastIndexOf(l))
      .sort()
      .join('');
  return { terms, output };
}

/** Einsum by iterating over every combination of letter values (fine for the small tensors it meets). */
const einsum: Kernel = (inputs, ctx) => {
  const ops = inputs.map((_, i) => need(inputs, i, ctx));
  const { terms, output } = parseEinsum(getString(ctx.node, 'equation') ?? '', ops.length);
  const letters = [...new Set([...terms.join(''), ...output])];
  const size = new Map<string, number>();
  terms.forEach((t, i) => [...t].forEach((l, k) => size.set(l, ops[i]!.dims[k]!)));
  const dims = letters.map((l) => size.get(l) ?? 1);
  const outDims = [...output].map((l) => size.get(l)!);
  const strideFor = (term: string, shape: number[]) => {
    const st = stridesOf(shape);
    return letters.map((l) => [...term].reduce((s, c, k) => (c === l ? s + st[k]! : s), 0));
  };
  const steps = terms.map((t, i) => strideFor(t, ops[i]!.dims));
  const outSteps = strideFor(output, outDims);
  const acc = new Float64Array(outDims.reduce((a, b) => a * b, 1));
  const counter = new Array<number>(letters.length).fill(0);
  const total = dims.reduce((a, b) => a * b, 1);
  for (let it = 0; it < total; it++) {
    let prod = 1;
    ops.forEach((op, i) => {
      prod *= op.data[counter.reduce((s, c, k) => s + c * steps[i]![k]!, 0)]!;
    });
    const o = counter.reduce((s, c, k) => s + c * outSteps[k]!, 0);
    acc[o] = acc[o]! + prod;
    for (let k = letters.length - 1; k >= 0 && ++counter[k]! === dims[k]!; k--) counter[k] = 0;
  }
  const dtype = ops[0]!.dtype;
  const out = allocate(dtype, acc.length);
  out.set(acc);
  return [makeRef(dtype, outDims, roundInPlace(dtype, out))];
};

export const LINEAR_KERNELS: Readonly<Record<string, Kernel>> = Object.freeze({
  MatMul: matMul,
  Gemm: gemm,
  Einsum: einsum,
});
