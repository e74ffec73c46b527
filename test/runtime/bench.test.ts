import { test } from 'node:test';
import assert from 'node:assert/strict';
import { modelToBytes } from '../../src/onnx/serde/model-io.js';
import { benchmark, latencyStats, percentile } from '../../src/runtime/bench.js';
import { seededRandom, syntheticFeeds } from '../../src/runtime/feeds.js';
import { matmulReluModel } from '../helpers/tiny-onnx.js';

test('percentiles interpolate linearly between ranks (numpy default)', () => {
  const s = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  assert.equal(percentile(s, 50), 5.5);
  assert.ok(Math.abs(percentile(s, 90) - 9.1) < 1e-12);
  assert.ok(Math.abs(percentile(s, 99) - 9.91) < 1e-12);
  assert.equal(percentile([7], 99), 7);
  const st = latencyStats([4, 2, 6, 8]);
  assert.deepEqual({ mean: st.mean, min: st.min, max: st.max, p50: st.p50 }, { mean: 5, min: 2, max: 8, p50: 5 });
  assert.equal(st.std, Math.sqrt(5));
});

test('synthetic feeds follow the input metadata and are repeatable', () => {
  const inputs = [{ name: 'images', dtype: 'float16', shape: [1, 3, 'h', 'w'] as Array<number | string> }];
  const a = syntheticFeeds(inputs, { dims: { h: 4 } });
  assert.deepEqual(a.images!.dims, [1, 3, 4, 1]);
  assert.equal(a.images!.dtype, 'float16');
  assert.deepEqual(a.images!.data, syntheticFeeds(inputs, { dims: { h: 4 } }).images!.data);
  const r = seededRandom(1);
  for (let i = 0; i < 100; i++) {
    const v = r();
    assert.ok(v >= 0 && v < 1);
  }
});

test('benchmark runs warmup + timed runs and reports latency, throughput and peak RSS', async () => {
  const r = await benchmark(modelToBytes(matmulReluModel()), { warmup: 2, runs: 5, threads: 1 });
  assert.equal(r.runs, 5);
  assert.equal(r.warmup, 2);
  assert.equal(r.threads, 1);
  assert.equal(r.ep, 'cpu');
  assert.equal(r.batch, 1);
  const l = r.latencyMs;
  assert.ok(l.min > 0 && l.min <= l.p50 && l.p50 <= l.p90 && l.p90 <= l.p99 && l.p99 <= l.max);
  assert.ok(r.throughput > 0 && r.peakRssBytes > 1e6);
  await assert.rejects(benchmark(modelToBytes(matmulReluModel()), { runs: 0 }), RangeError);
});
