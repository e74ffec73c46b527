import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gptqQuantize } from '../../../src/quant/algorithms/gptq.js';
import { blockScaleCode, blockScaleValue, rowScale, toTwoLevel } from '../../../src/quant/weights/two-level.js';

test('two-level scales by hand: the row scale puts the largest block scale on code 255, codes round half to even', () => {
  const rs = rowScale(2.55);
  assert.equal(rs, Math.fround(2.55 / 255));
  // Exact halves (binary fractions) round to the even code: 1.5 → 2, 2.5 → 2, 3.5 → 4.
  assert.equal(blockScaleCode(0.75, 0.5), 2);
  assert.equal(blockScaleCode(1.25, 0.5), 2);
  assert.equal(blockScaleCode(1.75, 0.5), 4);
  assert.equal(blockScaleCode(0, rs), 1, 'never code 0: a block scale of 0 would zero the block');
  assert.equal(blockScaleCode(10, rs), 255);
  assert.equal(blockScaleValue(3, Math.fround(0.5)), 1.5);
  const two = toTwoLevel([2.55, 1.0, 0.004, /* row 2: zeros */ 0, 0, 0], 2, 3);
  assert.deepEqual(Array.from(two.codes), [255, 100, 1, 1, 1, 1]);
  assert.equal(two.rowScales[1], Math.fround(1 / 255));
  for (let i = 0; i < 6; i++) assert.equal(two.scales[i], Math.fround(two.codes[i]! * two.rowScales[Math.floor(i / 3)]!));
});

test('round-up snapping never gives a smaller scale than asked (round-to-nearest weights then never clip)', () => {
  const scales = [1, 0.0123, 0.5013, 0.777];
  const up = toTwoLevel(scales, 1, 4, true);
  const near = toTwoLevel(scales, 1, 4, false);
  for (let j = 0; j < 4; j++) {
    assert.ok(up.scales[j]! >= Math.fround(scales[j]!) || up.codes[j] === 255, `${j}`);
    assert.ok(up.codes[j]! - near.codes[j]! <= 1);
  }
});

/** A [4, 64] layer whose columns grow in magnitude, and a diagonal Hessian favouring later columns. */
function layer(seed: number): { rows: number; k: number; w: Float64Array; h: Float64Array } {
  const rows = 4;
  const k = 64;
  let state = seed;
  const rnd = () => ((state = (state * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  const w = Float64Array.from({ length: rows * k }, (_, i) => rnd() * (1 + (i % k) / 8));
  const h = new Float64Array(k * k);
  for (let i = 0; i < k; i++) h[i * k + i] = 1 + i / k;
  return { rows, k, w, h };
}

test('GPTQ with two-level scales searches on the grid: every scale is its code times the row scale, error close to float32 scales', () => {
  const { rows, k, w, h } = layer(7);
  const g = { kind: 'blocked', blockSize: 16 } as const;
  const two = gptqQuantize(w, rows, k, h, { bits: 4, narrow: true, granularity: g, twoLevel: { codes: 'uint8' } });
  const one = gptqQuantize(w, rows, k, h, { bits: 4, narrow: true, granularity: g });
  assert.ok(two.blockScales && !one.blockScales);
  const blocks = k / 16;
  for (let i = 0; i < rows * blocks; i++) {
    const c: number = two.blockScales.codes[i]!;
    assert.ok(c >= 1 && c <= 255);
    assert.equal(two.scales[i], Math.fround(c * two.blockScales.rowScales[Math.floor(i / blocks)]!));
  }
  const err = (r: typeof one) => {
    let e = 0;
    for (let i = 0; i < rows * k; i++) {
      const s = r.scales[Math.floor(i / k) * blocks + Math.floor((i % k) / 16)]!;
      e += (w[i]! - r.codes[i]! * s) ** 2 * h[(i % k) * k + (i % k)]!;
    }
    return e;
  };
  assert.ok(err(two) < 1.25 * err(one), `two-level ${err(two)} vs float32 scales ${err(one)}`);
});

test('two-level e4m3 by hand: one scale per tensor puts the largest block scale on 448, codes are E4M3 bytes', () => {
  // Rows [0.896, 0.002] and [0.45, 0]: tensor scale 0.896 / 448 = 0.002.
  const two = toTwoLevel([0.896, 0.002, 0.45, 0], 2, 2, false, 'e4m3');
  const t = Math.fround(0.896 / 448);
  assert.deepEqual(Array.from(two.rowScales), [t]);
  assert.equal(rowScale(0.896, 'e4m3'), t);
  // 448 → 0x7e; 1 → 0x38; 0.45 / t = 225 lies between 224 (0x76) and 240 (0x77): nearer 224; 0 → the smallest code.
  assert.deepEqual(Array.from(two.codes), [0x7e, 0x38, 0x76, 1]);
  for (let i = 0; i < 4; i++) assert.equal(two.scales[i], blockScaleValue(two.codes[i]!, t, 'e4m3'));
  assert.equal(blockScaleCode(Math.fround(0.45), t, 'e4m3'), 0x76);
  // Rounding up never gives less than asked: 225 → 240.
  const up = toTwoLevel([0.896, 0.002, 0.45, 0], 2, 2, true, 'e4m3');
  assert.equal(up.codes[2], 0x77);
  assert.ok(up.scales[2]! >= Math.fround(0.45));
});

test('GPTQ on the e4m3 grid: every scale is an E4M3 value times the given tensor scale, shared by row groups', () => {
  const { rows, k, w, h } = layer(11);
  const g = { kind: 'blocked', blockSize: 16 } as const;
  const tensorScale = Math.fround(9 / 7 / 448);
  const r = gptqQuantize(w, rows, k, h, { bits: 4, narrow: true, granularity: g, twoLevel: { codes: 'e4m3', tensorScale } });
  assert.ok(r.blockScales);
  assert.equal(r.blockScales.codeType, 'e4m3');
  assert.deepEqual(Array.from(r.blockScales.rowScales), [tensorScale]);
  for (let i = 0; i < r.scales.length; i++) {
    const c: number = r.blockScales.codes[i]!;
    assert.ok(c >= 1 && c <= 126);
    assert.equal(r.scales[i], blockScaleValue(c, tensorScale, 'e4m3'));
  }
  const one = gptqQuantize(w, rows, k, h, { bits: 4, narrow: true, granularity: g });
  const err = (x: typeof one) => {
    let e = 0;
    for (let i = 0; i < rows * k; i++) e += (w[i]! - x.codes[i]! * x.scales[Math.floor(i / 16)]!) ** 2 * h[(i % k) * k + (i % k)]!;
    return e;
  };
  assert.ok(err(r) < 1.3 * err(one), `e4m3 ${err(r)} vs float32 scales ${err(one)}`);
});
