import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FeedCache } from '../../../src/quant/algorithms/feed-cache.js';
import type { HostTensor } from '../../../src/runtime/host-tensor.js';

test('feed cache: every image reads back exactly, per name, dtype and dims, in order; the file is unlinked while open', async () => {
  const parent = mkdtempSync(join(tmpdir(), 'yoloq-feed-cache-test-'));
  try {
    const cache = new FeedCache(parent);
    const images: Array<Record<string, HostTensor>> = [];
    for (let i = 0; i < 3; i++) {
      // Values a lossy store would change: -0, a subnormal, the float32 maximum, float16 bit patterns, int64 beyond 2^53.
      const f = Float32Array.from([i, -0, 1.4e-45, 3.4028234e38, -i - 0.1]);
      images.push({
        images: { dtype: 'float16', dims: [1, 3], data: Uint16Array.from([0x3c00 + i, 0x8000, 0x7bff]) },
        'yoloq_fx/a': { dtype: 'float32', dims: [1, 5], data: f.subarray(0, 5) },
        // A view into a larger buffer: only its own bytes are stored.
        'yoloq_fx/b': { dtype: 'float32', dims: [2], data: new Float32Array([9, 8, 7 + i, 6]).subarray(1, 3) },
        n: { dtype: 'int64', dims: [1], data: BigInt64Array.from([2n ** 60n + BigInt(i)]) },
      });
    }
    for (const im of images) cache.append(im);
    assert.equal(cache.count, 3);
    assert.equal(cache.bytes, 3 * (6 + 20 + 8 + 8));
    const got: Array<Record<string, HostTensor>> = [];
    for await (const feed of cache.feeds(['yoloq_fx/b', 'images', 'n'])) got.push(feed);
    assert.equal(got.length, 3);
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(Object.keys(got[i]!), ['yoloq_fx/b', 'images', 'n']);
      for (const name of ['yoloq_fx/b', 'images', 'n']) {
        const want = images[i]![name]!;
        const have = got[i]![name]!;
        assert.equal(have.dtype, want.dtype);
        assert.deepEqual(have.dims, want.dims);
        assert.deepEqual(have.data, want.data.slice());
      }
    }
    const a = cache.read(2, 'yoloq_fx/a').data as Float32Array;
    assert.ok(Object.is(a[1], -0));
    assert.equal(a[2], Math.fround(1.4e-45));
    assert.deepEqual(a, images[2]!['yoloq_fx/a']!.data);
    assert.throws(() => cache.read(3, 'images'), /no tensor images for image 3/);
    // Unlinked at once: nothing to leave behind if the process is killed mid-run (POSIX).
    if (process.platform !== 'win32') assert.deepEqual(readdirSync(parent), []);
    cache.dispose();
    cache.dispose();
    assert.deepEqual(readdirSync(parent), []);
  } finally {
    if (existsSync(parent)) rmSync(parent, { recursive: true, force: true });
  }
});
