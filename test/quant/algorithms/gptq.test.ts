import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gptqQuantize, outputError, searchAsymmetric, searchScales } from '../../../src/quant/algorithms/gptq.js';
import { choleskyInverse, choleskyLower, choleskyUpper, spdInverse } from '../../../src/quant/algorithms/linalg.js';
import { roundHalfEven, seededRandom } from '../../../src/quant/rounding.js';
import { dequantizeCodes, maxAbsScales, quantizeCodes } from '../../../src/quant/weights/codes.js';

/** H = XᵀX + small ridge for X [n, k] with correlated columns. */
function hessian(k: number, n: number, seed: number): Float64Array {
  const rnd = seededRandom(seed);
  const x = Array.from({ length: n }, () => {
    const base = rnd() * 2 - 1;
    return Array.from({ length: k }, () => base + (rnd() * 2 - 1) * 0.5);
  });
  const h = new Float64Array(k * k);
  for (const row of x) for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) h[i * k + j]! += row[i]! * row[j]!;
  return h;
}

function randomWeight(n: number, seed: number): Float32Array {
  const rnd = seededRandom(seed);
  return Float32Array.from({ length: n }, () => Math.fround((rnd() * 2 - 1) * 0.3));
}

test('Cholesky: L·Lᵀ = H, inverse·H = I, upper factor Uᵀ·U = H', () => {
  const k = 7;
  const h = hessian(k, 20, 1);
  const l = choleskyLower(h, k);
  const inv = choleskyInverse(l, k);
  const u = choleskyUpper(h, k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      let llt = 0,
        id = 0,
        utu = 0;
      for (let m = 0; m < k; m++) {
        llt += l[i * k + m]! * l[j * k + m]!;
        id += inv[i * k + m]! * h[m * k + j]!;
        utu += u[m * k + i]! * u[m * k + j]!;
      }
      assert.ok(Math.abs(llt - h[i * k + j]!) < 1e-9);
      assert.ok(Math.abs(id - (i === j ? 1 : 0)) < 1e-9);
      assert.ok(Math.abs(utu - h[i * k + j]!) < 1e-9);
    }
  }
});

/**
 * Straightforward OBQ-style reference: quantize columns in `order`; after each, invert H restricted to the
 * columns not yet quantized and spread the error with that inverse's row. Mathematically what GPTQ computes.
 */
function referenceGptq(
  w0: Float32Array,
  rows: number,
  k: number,
  h0: Float64Array,
  scales: Float32Array,
  bits: number,
  order: number[],
  damp: number,
): Int8Array {
  const w = Float64Array.from(w0);
  const h = Float64Array.from(h0);
  let mean = 0;
  for (let i = 0; i < k; i++) mean += h[i * k + i]!;
  for (let i = 0; i < k; i++) h[i * k + i]! += (damp * mean) / k;
  const qmax = 2 ** (bits - 1) - 1;
  const codes = new Int8Array(rows * k);
  let free = [...order];
  for (const col of order) {
    const n = free.length;
    const sub = new Float64Array(n * n);
    free.forEach((a, i) =>
      free.forEach((b, j) => {
        sub[i * n + j] = h[a * k + b]!;
      }),
    );
    const inv = spdInverse(sub, n);
    const ci = free.indexOf(col);
    for (let r = 0; r < rows; r++) {
      const s = scales[r]!;
      const q = Math.max(-qmax, Math.min(qmax, roundHalfEven(Math.fround(w[r * k + col]! / s))));
      codes[r * k + col] = q;
      const err = (w[r * k + col]! - Math.fround(q * s)) / inv[ci * n + ci]!;
      free.forEach((b, j) => {
        w[r * k + b]! -= err * inv[ci * n + j]!;
      });
    }
    free = free.filter((c) => c !== col);
  }
  return codes;
}

for (const actOrder of [false, true]) {
  test(`GPTQ matches the column-by-column reference (act-order ${actOrder})`, () => {
    const rows = 4,
      k = 9,
      bits = 4;
    const h = hessian(k, 40, 2);
    const w = randomWeight(rows * k, 3);
    const g = { kind: 'per-channel', axis: 0 } as const;
    const r = gptqQuantize(w, rows, k, h, { bits, narrow: true, granularity: g, damp: 0.01, actOrder, clipRatios: [1] });
    assert.deepEqual(Array.from(r.scales), Array.from(maxAbsScales(w, [rows, k], g, bits)));
    const diag = Array.from({ length: k }, (_, i) => h[i * k + i]!);
    const order = Array.from({ length: k }, (_, i) => i);
    if (actOrder) order.sort((a, b) => diag[b]! - diag[a]! || a - b);
    assert.deepEqual(Array.from(r.codes), Array.from(referenceGptq(w, rows, k, h, r.scales, bits, order, 0.01)));
  });
}

test('GPTQ lowers the Hessian-weighted output error below round-to-nearest, per-channel and blocked', () => {
  const rows = 8,
    k = 48;
  const h = hessian(k, 200, 4);
  const w = randomWeight(rows * k, 5);
  for (const g of [{ kind: 'per-channel', axis: 0 } as const, { kind: 'blocked', blockSize: 16 } as const]) {
    const rtnScales = maxAbsScales(w, [rows, k], g, 4);
    const rtn = dequantizeCodes(quantizeCodes(w, [rows, k], g, rtnScales, 4, true), [rows, k], g, rtnScales);
    const r = gptqQuantize(w, rows, k, h, { bits: 4, narrow: true, granularity: g });
    assert.equal(r.scales.length, g.kind === 'blocked' ? rows * 3 : rows);
    const gq = dequantizeCodes(r.codes, [rows, k], g, r.scales);
    const eR = outputError(w, rtn, rows, k, h);
    const eG = outputError(w, gq, rows, k, h);
    assert.ok(eG < 0.7 * eR, `${g.kind}: gptq ${eG} vs rtn ${eR}`);
    assert.ok(r.codes.every((c) => c >= -7 && c <= 7));
  }
});

test('clip search never does worse than max-abs on the weighted rounding error', () => {
  const rows = 3,
    k = 20;
  const w = Float64Array.from(randomWeight(rows * k, 6));
  w[0] = 2; // an outlier: clipping it pays off
  const diag = new Float64Array(k).fill(1);
  const g = { kind: 'per-channel', axis: 0 } as const;
  const searched = searchScales(w, rows, k, diag, { bits: 4, narrow: true, granularity: g }).scales;
  const plain = searchScales(w, rows, k, diag, { bits: 4, narrow: true, granularity: g, clipRatios: [1] }).scales;
  assert.ok(searched[0]! <= plain[0]!);
});

test('dead inputs (zero Hessian diagonal) get code 0 and the result is deterministic', () => {
  const rows = 2,
    k = 4;
  const h = hessian(k, 10, 7);
  for (let j = 0; j < k; j++) {
    h[1 * k + j] = 0;
    h[j * k + 1] = 0;
  }
  const w = randomWeight(rows * k, 8);
  const a = gptqQuantize(w, rows, k, h, { bits: 4, narrow: true, granularity: { kind: 'per-channel', axis: 0 } });
  const b = gptqQuantize(w, rows, k, h, { bits: 4, narrow: true, granularity: { kind: 'per-channel', axis: 0 } });
  assert.equal(a.codes[1], 0);
  assert.equal(a.codes[k + 1], 0);
  assert.deepEqual(a, b);
});

test('asymmetric grid, hand-computed: [0, 1.5] and [−1.5, 0] each use all 16 codes with a zero point at an end', () => {
  const g = { kind: 'per-channel', axis: 0 } as const;
  const diag = new Float64Array(4).fill(1);
  // Row 0: lo 0, hi 1.5 → s = 1.5/15 = 0.1, z = −8 − round(0/0.1) = −8. Row 1: lo −1.5, hi 0 → s = 0.1, z = −8 + 15 = 7.
  const w = Float64Array.from([0, 0.3, 0.6, 1.5, -1.5, -0.75, 0, -0.1]);
  const { scales, zeroPoints } = searchAsymmetric(w, 2, 4, diag, { bits: 4, narrow: true, granularity: g, clipRatios: [1] });
  assert.deepEqual(Array.from(scales), [Math.fround(0.1), Math.fround(0.1)]);
  assert.deepEqual(Array.from(zeroPoints), [-8, 7]);
  // With an identity Hessian GPTQ has nothing to redistribute: codes are round(w/s) + z, half to even
  // (−0.75/0.1 = −7.5 → −8, then + 7 = −1).
  const eye = new Float64Array(16);
  for (let i = 0; i < 4; i++) eye[i * 5] = 1;
  const r = gptqQuantize(w, 2, 4, eye, { bits: 4, narrow: true, granularity: g, clipRatios: [1], asymmetric: true, actOrder: false });
  assert.deepEqual(Array.from(r.codes), [-8, -5, -2, 7, -8, -1, 7, 6]);
  assert.deepEqual(Array.from(r.zeroPoints!), [-8, 7]);
  // dequantizeCodes applies the zero points per scale group: (q − z)·s.
  const deq = Array.from(dequantizeCodes(r.codes, [2, 4], g, r.scales, r.zeroPoints));
  assert.deepEqual(
    deq,
    [0, 3, 6, 15, -15, -8, 0, -1].map((n) => Math.fround(n * Math.fround(0.1))),
  );
  // Blocked layout: two blocks of 2 per row, each with its own zero point.
  const blocked = dequantizeCodes(Int8Array.from([-8, 7, 0, 1]), [1, 4], { kind: 'blocked', blockSize: 2 }, [1, 0.5], [-8, 1]);
  assert.deepEqual(Array.from(blocked), [0, 15, -0.5, 0]);
});

test('asymmetric GPTQ: on rows off-centre from 0 the predicted output error drops well below symmetric GPTQ', () => {
  const rows = 8,
    k = 27;
  const h = hessian(k, 200, 11);
  // Folded-BN-like rows: all taps of a row share a sign and an offset.
  const w = randomWeight(rows * k, 12).map((x, i) => (Math.floor(i / k) % 2 ? -1 : 1) * (0.5 + Math.abs(x)));
  for (const g of [{ kind: 'per-channel', axis: 0 } as const, { kind: 'blocked', blockSize: 9 } as const]) {
    const sym = gptqQuantize(w, rows, k, h, { bits: 4, narrow: true, granularity: g });
    const asym = gptqQuantize(w, rows, k, h, { bits: 4, narrow: true, granularity: g, asymmetric: true });
    const blocks = asym.scales.length / rows;
    const size = g.kind === 'blocked' ? g.blockSize : k;
    const deq = (r: typeof sym) =>
      Array.from(r.codes, (q, i) => {
        const b = Math.floor(i / k) * blocks + Math.floor((i % k) / size);
        return Math.fround((q - (r.zeroPoints?.[b] ?? 0)) * r.scales[b]!);
      });
    const eSym = outputError(w, deq(sym), rows, k, h);
    const eAsym = outputError(w, deq(asym), rows, k, h);
    assert.ok(eAsym < 0.5 * eSym, `${g.kind}: asymmetric ${eAsym} vs symmetric ${eSym}`);
    assert.ok(asym.codes.every((c) => c >= -8 && c <= 7) && asym.zeroPoints!.every((z) => z >= -8 && z <= 7));
    assert.deepEqual(asym, gptqQuantize(w, rows, k, h, { bits: 4, narrow: true, granularity: g, asymmetric: true }));
  }
});

test('refinement sweeps never raise the damped objective GPTQ minimises, keep codes in range, and re-fit free columns', () => {
  const rows = 6,
    k = 30;
  const h = hessian(k, 40, 21);
  let mean = 0;
  for (let i = 0; i < k; i++) mean += h[i * k + i]!;
  const hd = Float64Array.from(h);
  for (let i = 0; i < k; i++) hd[i * k + i]! += (0.01 * mean) / k;
  const w = randomWeight(rows * k, 22);
  const deq = (r: ReturnType<typeof gptqQuantize>, kq: number) =>
    Array.from({ length: rows * k }, (_, i) => {
      const row = Math.floor(i / k),
        j = i % k;
      if (j >= kq) return r.free[row * (k - kq) + (j - kq)]!;
      return Math.fround((r.codes[row * kq + j]! - (r.zeroPoints?.[row] ?? 0)) * r.scales[row]!);
    });
  let improved = 0;
  for (const asymmetric of [false, true]) {
    for (const free of [0, 1]) {
      const opts = { bits: 4, narrow: true, granularity: { kind: 'per-channel', axis: 0 } as const, asymmetric, free };
      const plain = gptqQuantize(w, rows, k, h, opts);
      const refined = gptqQuantize(w, rows, k, h, { ...opts, refine: 5 });
      const e0 = outputError(w, deq(plain, k - free), rows, k, hd);
      const e1 = outputError(w, deq(refined, k - free), rows, k, hd);
      assert.ok(e1 <= e0 * (1 + 1e-9), `asymmetric ${asymmetric}, free ${free}: refined ${e1} > plain ${e0}`);
      if (e1 < 0.999 * e0) improved++;
      const [lo, hi] = asymmetric ? [-8, 7] : [-7, 7];
      assert.ok(refined.codes.every((c) => c >= lo && c <= hi));
      assert.deepEqual(refined.scales, plain.scales);
      assert.deepEqual(refined, gptqQuantize(w, rows, k, h, { ...opts, refine: 5 }));
    }
  }
  assert.ok(improved >= 2, `refinement improved ${improved} of 4 cases`);
});
