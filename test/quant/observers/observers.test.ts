import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamingHistogram } from '../../../src/quant/observers/histogram.js';
import { OBSERVERS, histogramMse } from '../../../src/quant/observers/observers.js';
import { activationQuantizer } from '../../../src/quant/observers/activation-range.js';
import { seededRandom } from '../../../src/quant/rounding.js';

test('histogram: growing the range merges bins without losing counts', () => {
  const h = new StreamingHistogram(8);
  h.add([0.1, -0.2, 0.9]);
  assert.equal(h.radius, 1);
  assert.deepEqual(Array.from(h.counts), [0, 0, 0, 1, 1, 0, 0, 1]);
  h.add([3]);
  assert.equal(h.radius, 4);
  // [-4,4] in 8 bins of width 1: -0.2 → bin 3, 0.1 → 4, 0.9 → 4, 3 → 7
  assert.deepEqual(Array.from(h.counts), [0, 0, 0, 1, 2, 0, 0, 1]);
  assert.equal(h.total, 4);
  assert.equal(h.min, -0.2);
  assert.equal(h.max, 3);
});

test('histogram quantiles of uniform data are close to the exact ones', () => {
  const rnd = seededRandom(1);
  const h = new StreamingHistogram();
  for (let k = 0; k < 10; k++) h.add(Float32Array.from({ length: 10000 }, () => rnd() * 10));
  assert.ok(Math.abs(h.quantile(0.5) - 5) < 0.05);
  assert.ok(Math.abs(h.quantile(0.9) - 9) < 0.05);
});

function skewed(): StreamingHistogram {
  // Like a SiLU output: mass in [-0.28, 6], a few large outliers up to 150.
  const rnd = seededRandom(2);
  const h = new StreamingHistogram();
  const v = Float32Array.from({ length: 200000 }, () => (rnd() < 0.0005 ? 150 * rnd() : -0.28 + 6.28 * rnd() ** 2));
  h.add(v);
  return h;
}

test('observers: minmax keeps outliers, percentile/mse/entropy clip them and lower the quantization error', () => {
  const h = skewed();
  const opts = { percentile: 99.99, levels: 255 };
  const [mlo, mhi] = OBSERVERS.minmax(h, opts);
  assert.equal(mlo, h.min);
  assert.equal(mhi, h.max);
  const base = histogramMse(h, mlo, mhi, 255);
  for (const name of ['percentile', 'mse', 'entropy'] as const) {
    const [lo, hi] = OBSERVERS[name](h, opts);
    assert.ok(hi < mhi && hi > 5, `${name}: hi ${hi}`);
    assert.ok(lo <= 0 && lo >= mlo, `${name}: lo ${lo}`);
    if (name === 'mse') assert.ok(histogramMse(h, lo, hi, 255) < base, `${name} must not raise the error`);
  }
});

test('activation quantizer: asymmetric uint8 zero point, symmetric signed/unsigned by the range', () => {
  const a = activationQuantizer('x', [-0.28, 153.6], [-0.28, 153.6], 'minmax', 'asymmetric');
  assert.equal(a.signed, false);
  assert.equal(a.scale, Math.fround(153.88 / 255));
  assert.equal(a.zeroPoint, 0); // 0.28 / 0.603 rounds to 0
  const b = activationQuantizer('x', [-2, 6], [-2, 6], 'minmax', 'asymmetric');
  assert.equal(b.zeroPoint, Math.round(2 / Math.fround(8 / 255)));
  const s = activationQuantizer('x', [-2, 6], [-2, 6], 'minmax', 'symmetric');
  assert.deepEqual([s.signed, s.zeroPoint, s.scale], [true, 0, Math.fround(6 / 127)]);
  const u = activationQuantizer('x', [0, 6], [0, 6], 'minmax', 'symmetric');
  assert.deepEqual([u.signed, u.zeroPoint, u.scale], [false, 0, Math.fround(6 / 255)]);
  // A range that excludes 0 is widened to include it.
  assert.deepEqual(activationQuantizer('x', [1, 2], [1, 2], 'minmax', 'asymmetric').range, [0, 2]);
});
