import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../src/errors.js';
import { DetectionStream, readStreamDetections, readStreamState, type StreamKey } from '../../src/eval/detection-stream.js';
import type { ImageOutcome } from '../../src/yolo/predict.js';

const dir = mkdtempSync(join(tmpdir(), 'yoloq-det-stream-'));
const key: StreamKey = {
  model: { sha256: 'ab'.repeat(32), bytes: 123 },
  set: { images: 4, paths: 'p', groundTruth: 'g' },
  options: { family: null, ep: 'cpu', threads: 0, raw: false, postprocess: { confThreshold: 0.001 } },
};

function image(index: number, dets: Array<[number, number]>): ImageOutcome {
  return {
    index,
    ok: true,
    path: `${index}.jpg`,
    width: 10,
    height: 10,
    reoriented: false,
    detections: dets.map(([category_id, score]) => ({ category_id, bbox: [index, 1, 2, 3], score })),
  };
}

test('images written out of order are read back in image order, with ids from the index; a skip has no detections', () => {
  const path = join(dir, 'order.jsonl');
  const s = DetectionStream.create(path, key);
  s.append(image(2, [[5, 0.9]]));
  s.append(
    image(0, [
      [1, 0.5],
      [2, 0.4],
    ]),
  );
  s.append({ index: 1, ok: false, path: '1.jpg', reason: 'broken' });
  s.close();
  assert.equal(readFileSync(path, 'utf8').split('\n').length, 5, 'a header and one line per image');
  const cols = readStreamDetections(path, 4, (i) => 100 + i);
  assert.deepEqual([...cols.imageId], [100, 100, 102]);
  assert.deepEqual([...cols.categoryId], [1, 2, 5]);
  assert.deepEqual([...cols.score], [0.5, 0.4, 0.9]);
  const found = readStreamState(path, key, 4)!;
  assert.equal(found.state.doneCount, 3);
  assert.deepEqual([...found.state.done], [1, 1, 1, 0]);
  assert.deepEqual(found.state.skipped, [{ index: 1, reason: 'broken' }]);
});

test('a half-written last line is dropped, and resuming cuts it off before appending', () => {
  const path = join(dir, 'half.jsonl');
  const s = DetectionStream.create(path, key);
  s.append(image(0, [[1, 0.5]]));
  s.close();
  const whole = statSync(path).size;
  appendFileSync(path, '{"i":1,"d":[[1,0.');
  const found = readStreamState(path, key, 4)!;
  assert.equal(found.bytes, whole);
  assert.equal(found.state.doneCount, 1);
  const r = DetectionStream.resume(path, found.bytes);
  r.append(image(1, [[3, 0.25]]));
  r.close();
  const cols = readStreamDetections(path, 4, (i) => i);
  assert.deepEqual([...cols.categoryId], [1, 3]);
  assert.equal(readFileSync(path, 'utf8').endsWith('\n'), true);
});

test('a stream made for another key is refused, naming what differs; a broken complete line is refused', () => {
  const path = join(dir, 'key.jsonl');
  DetectionStream.create(path, key).close();
  const other = { ...key, options: { ...key.options, postprocess: { confThreshold: 0.5 } } };
  assert.throws(
    () => readStreamState(path, other, 4),
    (e: unknown) => e instanceof InputError && /other options \(postprocess\)/.test(e.message),
  );
  const model = { ...key, model: { sha256: 'cd'.repeat(32), bytes: 123 } };
  assert.throws(() => readStreamState(path, model, 4), /another model/);
  appendFileSync(path, 'not json\n{"i":0,"d":[]}\n');
  assert.throws(
    () => readStreamState(path, key, 4),
    (e: unknown) => e instanceof InputError && /line 2 is not JSON/.test(e.message),
  );
  writeFileSync(path, 'hello\n');
  assert.throws(() => readStreamState(path, key, 4), /not a yoloq evaluation stream/);
  writeFileSync(path, '{"format":"yoloq-eval-st');
  assert.equal(readStreamState(path, key, 4), undefined, 'a half-written header is a stream that never started');
  assert.equal(readStreamState(join(dir, 'missing.jsonl'), key, 4), undefined);
});
