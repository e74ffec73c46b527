import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gptqQuantize, outputError, searchScales } from '../../../src/quant/algorithms/gptq.js';
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
      let llt = 0, id = 0, utu = 0;
      for (let m = 0; m < k; m++) { llt += l[i * k + m]! * l[j * k + m]!; id += inv[i * k + m]! * h[m * k + j]!; utu += u[m * k + i]! * u[m * k + j]!; }
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
function referenceGptq(w0: Float32Array, rows: number, k: number, h0: Float64Array, scales: Float32Array, bits: number, order: number[], damp: number): Int8Array {
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
    free.forEach((a, i) => free.forEach((b, j) => { sub[i * n + j] = h[a * k + b]!; }));
    const inv = spdInverse(sub, n);
    const ci = free.indexOf(col);
    for (let r = 0; r < rows; r++) {
      const s = scales[r]!;
      const q = Math.max(-qmax, Math.min(qmax, roundHalfEven(Math.fround(w[r * k + col]! / s))));
      codes[r * k + col] = q;
      const err = (w[r * k + col]! - Math.fround(q * s)) / inv[ci * n + ci]!;
      free.forEach((b, j) => { w[r * k + b]! -= err * inv[ci * n + j]!; });
    }
    free = free.filter((c) => c !== col);
  }
  return codes;
}

for (const actOrder of [false, true]) {
  test(`GPTQ matches the column-by-column reference (act-order ${actOrder})`, () => {
    const rows = 4, k = 9, bits = 4;
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
  const rows = 8, k = 48;
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
  const rows = 3, k = 20;
  const w = Float64Array.from(randomWeight(rows * k, 6));
  w[0] = 2; // an outlier: clipping it pays off
  const diag = new Float64Array(k).fill(1);
  const g = { kind: 'per-channel', axis: 0 } as const;
  const searched = searchScales(w, rows, k, diag, { bits: 4, narrow: true, granularity: g });
  const plain = searchScales(w, rows, k, diag, { bits: 4, narrow: true, granularity: g, clipRatios: [1] });
  assert.ok(searched[0]! <= plain[0]!);
});

test('dead inputs (zero Hessian diagonal) get code 0 and the result is deterministic', () => {
  const rows = 2, k = 4;
  const h = hessian(k, 10, 7);
  for (let j = 0; j < k; j++) { h[1 * k + j] = 0; h[j * k + 1] = 0; }
  const w = randomWeight(rows * k, 8);
  const a = gptqQuantize(w, rows, k, h, { bits: 4, narrow: true, granularity: { kind: 'per-channel', axis: 0 } });
  const b = gptqQuantize(w, rows, k, h, { bits: 4, narrow: true, granularity: { kind: 'per-channel', axis: 0 } });
  assert.equal(a.codes[1], 0);
  assert.equal(a.codes[k + 1], 0);
  assert.deepEqual(a, b);
});
