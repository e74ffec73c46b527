import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluateModel } from '../../src/eval/evaluate-model.js';
import { writeSplit } from '../../src/synthetic/dataset.js';
import { repoRoot } from '../helpers/paths.js';

const model = join(repoRoot, 'assets', 'default', 'shapes-yolov10.onnx');

test('evaluateModel appends one stream line per image as it finishes, and scores what the stream holds', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'yoloq-eval-model-'));
  const split = await writeSplit({ root: dir, split: 'val', count: 4, seed: 11 });
  const stream = join(dir, 'd.stream.jsonl');
  const linesSeen: number[] = [];
  const ev = await evaluateModel(
    model,
    { coco: split.instances, images: split.images },
    {
      threads: 1,
      stream,
      keepStream: true,
      detectionsPath: join(dir, 'd.json'),
      onProgress: (p) => linesSeen.push(readFileSync(stream, 'utf8').split('\n').filter(Boolean).length - p.done),
    },
  );
  assert.deepEqual(linesSeen, [1, 1, 1, 1], 'at each image: the header plus one line per image done');
  assert.equal(ev.images, 4);
  assert.equal(ev.resumed, 0);
  const written = JSON.parse(readFileSync(join(dir, 'd.json'), 'utf8')) as Array<{ image_id: number }>;
  assert.equal(written.length, ev.detectionCount);
  assert.ok(ev.detectionCount > 0 && ev.result.stats[0]! > 0, 'the embedded model finds its own shapes');
  assert.deepEqual(
    written.map((d) => d.image_id),
    [...written.map((d) => d.image_id)].sort((a, b) => a - b),
    'detections in image order',
  );
  const again = await evaluateModel(model, { coco: split.instances, images: split.images }, { threads: 1, stream });
  assert.ok(!existsSync(stream), 'the stream is removed after a successful evaluation unless kept');
  assert.deepEqual(again.result.stats, ev.result.stats);
});
