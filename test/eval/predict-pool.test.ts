import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../src/errors.js';
import { predictInParallel, threadsPerWorker } from '../../src/eval/predict-pool.js';
import { writeSplit } from '../../src/synthetic/dataset.js';
import type { ImageOutcome, PredictTask } from '../../src/yolo/predict.js';
import { repoRoot } from '../helpers/paths.js';

const model = join(repoRoot, 'assets', 'default', 'shapes-yolov10.onnx');

function tasks(paths: string[]): () => PredictTask | undefined {
  let i = 0;
  return () => (i < paths.length ? { index: i, path: paths[i++]! } : undefined);
}

test('threads per worker: as given, or the cores shared out when ORT would choose', () => {
  assert.equal(threadsPerWorker(3, 2), 3);
  assert.equal(threadsPerWorker(undefined, 1), undefined);
  assert.equal(threadsPerWorker(0, 2), Math.max(1, Math.floor(availableParallelism() / 2)));
  assert.equal(threadsPerWorker(0, 1000), 1);
});

test('two worker threads predict every task once, with the same detections as one session', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'yoloq-pool-'));
  const split = await writeSplit({ root: dir, split: 'val', count: 5, seed: 2 });
  const paths = Array.from({ length: 5 }, (_, i) => join(split.images, `val-${String(i).padStart(6, '0')}.jpg`));
  const run = async (workers: number): Promise<ImageOutcome[]> => {
    const got: ImageOutcome[] = [];
    await predictInParallel(model, tasks(paths), { threads: 1, workers, onImage: (o) => void got.push(o) });
    return got.sort((a, b) => a.index - b.index);
  };
  const one = await run(1);
  const two = await run(2);
  assert.deepEqual(
    two.map((o) => o.index),
    [0, 1, 2, 3, 4],
  );
  assert.deepEqual(two, one);
});

test('an InputError in a worker thread (--strict, an unreadable image) is an InputError here', async () => {
  await assert.rejects(
    predictInParallel(model, tasks([join(repoRoot, 'no-such-image.jpg')]), { workers: 2, strict: true, onImage: () => undefined }),
    (e: unknown) => e instanceof InputError && /no-such-image\.jpg.*--strict/.test(e.message),
  );
});
