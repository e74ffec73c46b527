import { test } from 'node:test';
import assert from 'node:assert/strict';
import { correctedTarget } from '../../../src/quant/algorithms/correction.js';
import { gptqQuantize } from '../../../src/quant/algorithms/gptq.js';
import { choleskyLower, choleskySolve } from '../../../src/quant/algorithms/linalg.js';
import { seededRandom } from '../../../src/quant/rounding.js';

/** A layer problem: float inputs X [n, k], drifted inputs X̃ (scaled, shifted and noisy, as after upstream quantization). */
function problem(k: number, rows: number, n: number, seed: number) {
  const rnd = seededRandom(seed);
  const x = Array.from({ length: n }, () => Array.from({ length: k }, () => Math.max(0, rnd() * 2 - 0.5)));
  const xq = x.map((r) => r.map((v, i) => v * (1 + 0.1 * Math.sin(i)) + 0.05 + (rnd() - 0.5) * 0.05));
  const w = Float32Array.from({ length: rows * k }, () => Math.fround((rnd() * 2 - 1) * 0.4));
  const b = Float32Array.from({ length: rows }, () => Math.fround(rnd() - 0.5));
  const hq = new Float64Array(k * k);
  const cross = new Float64Array(k * k);
  const sumQ = new Float64Array(k);
  const sumF = new Float64Array(k);
  for (let m = 0; m < n; m++) {
    for (let i = 0; i < k; i++) {
      sumQ[i]! += xq[m]![i]!;
      sumF[i]! += x[m]![i]!;
      for (let j = 0; j < k; j++) {
        hq[i * k + j]! += xq[m]![i]! * xq[m]![j]!;
        cross[i * k + j]! += x[m]![i]! * xq[m]![j]!;
      }
    }
  }
  return { x, xq, w, b, hq, cross, sumQ, sumF, n };
}

/** Σ over samples and rows of (W·x + b − Ŵ·x̃ − b̂)². */
function outputError(p: ReturnType<typeof problem>, rows: number, k: number, wq: ArrayLike<number>, bq: ArrayLike<number>): number {
  let e = 0;
  for (let m = 0; m < p.n; m++) {
    for (let r = 0; r < rows; r++) {
      let y = p.b[r]! - bq[r]!;
      for (let i = 0; i < k; i++) y += p.w[r * k + i]! * p.x[m]![i]! - wq[r * k + i]! * p.xq[m]![i]!;
      e += y * y;
    }
  }
  return e;
}

test('choleskySolve solves A·X = B for several right-hand sides', () => {
  const a = Float64Array.from([4, 1, 0.5, 1, 3, 0.2, 0.5, 0.2, 2]);
  const x = Float64Array.from([1, -2, 0.5, 3, -1, 4]); // [3, 2]
  const b = new Float64Array(6);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 2; j++) for (let m = 0; m < 3; m++) b[i * 2 + j]! += a[i * 3 + m]! * x[m * 2 + j]!;
  const got = choleskySolve(choleskyLower(a, 3), 3, b, 2);
  got.forEach((v, i) => assert.ok(Math.abs(v - x[i]!) < 1e-12, `${v} vs ${x[i]}`));
});

test('corrected target: identical inputs keep the float weights and bias exactly', () => {
  const k = 6,
    rows = 3;
  const p = problem(k, rows, 200, 3);
  const { target } = correctedTarget(p.w, p.b, rows, k, p.cross, p.cross, p.sumF, p.sumF, p.n, 0.01);
  // cross = Σ x·xᵀ = H when x̃ = x; pass it for both.
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < k; i++) assert.ok(Math.abs(target[r * (k + 1) + i]! - p.w[r * k + i]!) < 1e-9);
    assert.ok(Math.abs(target[r * (k + 1) + k]! - p.b[r]!) < 1e-9);
  }
});

test('corrected target is the least-squares fit to the float outputs from the drifted inputs', () => {
  const k = 5,
    rows = 2;
  const p = problem(k, rows, 300, 4);
  const { target } = correctedTarget(p.w, p.b, rows, k, p.hq, p.cross, p.sumQ, p.sumF, p.n, 1e-9);
  const wt = new Float64Array(rows * k);
  const bt = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < k; i++) wt[r * k + i] = target[r * (k + 1) + i]!;
    bt[r] = target[r * (k + 1) + k]!;
  }
  const fitted = outputError(p, rows, k, wt, bt);
  const plain = outputError(p, rows, k, p.w, p.b);
  assert.ok(fitted < plain * 0.2, `fitted ${fitted} vs uncorrected ${plain}`);
  // Optimal: any small move of one coefficient does not lower the error.
  for (const idx of [0, 3, 7]) {
    for (const eps of [1e-3, -1e-3]) {
      const moved = Float64Array.from(wt);
      moved[idx]! += eps;
      assert.ok(outputError(p, rows, k, moved, bt) >= fitted - 1e-9);
    }
  }
});

test('GPTQ of the corrected target with a free bias column beats GPTQ on the drifted inputs alone', () => {
  const k = 16,
    rows = 8;
  const p = problem(k, rows, 400, 5);
  const opts = { bits: 4, narrow: true, granularity: { kind: 'per-channel', axis: 0 } as const };
  const { target, hAug } = correctedTarget(p.w, p.b, rows, k, p.hq, p.cross, p.sumQ, p.sumF, p.n, 0.01);
  const r = gptqQuantize(target, rows, k + 1, hAug, { ...opts, free: 1 });
  assert.equal(r.codes.length, rows * k);
  assert.equal(r.free.length, rows);
  const deq = (codes: Int8Array, scales: Float32Array) => Float64Array.from(codes, (c, i) => c * scales[Math.floor(i / k)]!);
  const corrected = outputError(p, rows, k, deq(r.codes, r.scales), r.free);
  const plain = gptqQuantize(p.w, rows, k, p.hq, opts);
  const uncorrected = outputError(p, rows, k, deq(plain.codes, plain.scales), p.b);
  assert.ok(corrected < uncorrected * 0.5, `corrected ${corrected} vs uncorrected ${uncorrected}`);
  for (const c of r.codes) assert.ok(c >= -7 && c <= 7);
});
