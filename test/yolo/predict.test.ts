import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { cocoResults, predict, type PredictProgress } from '../../src/yolo/predict.js';
import { sharedDataDir } from '../helpers/paths.js';
import { constantOutputModel } from '../helpers/tiny-onnx.js';

/**
 * A stand-in YOLOv10-style model on a 64×64 input always returns these rows (input pixels). For a 128×64 image
 * the letterbox scale is 0.5 and the image sits 16 px down, so [8, 24, 24, 40] maps to [16, 16, 48, 48].
 */
const ROWS = [
  [8, 24, 24, 40, 0.9, 0],
  [0, 16, 64, 48, 0.6, 5],
  [1, 1, 2, 2, 0.0001, 3],
];

async function imagesDir(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'yoloq-predict-'));
  await sharp(Buffer.alloc(128 * 64 * 3, 200), { raw: { width: 128, height: 64, channels: 3 } })
    .png()
    .toFile(join(dir, 'a.png'));
  writeFileSync(join(dir, 'b.jpg'), 'broken');
  return dir;
}

for (const dtype of ['float32', 'float16'] as const) {
  test(`predict end to end on a stand-in ${dtype} model: original coordinates, COCO ids, skips counted`, async () => {
    const dir = await imagesDir();
    const model = constantOutputModel({ size: 64, rows: ROWS, dtype });
    const progress: PredictProgress[] = [];
    const r = await predict(model, [join(dir, 'a.png'), join(dir, 'b.jpg')], {
      imageId: (p) => (p.endsWith('a.png') ? 42 : 43),
      onProgress: (p) => progress.push(p),
    });
    assert.equal(r.family, 'yolov10');
    assert.deepEqual(r.input, { width: 64, height: 64, dtype });
    assert.deepEqual(r.counts, { total: 2, predicted: 1, skipped: 1, reoriented: 0, detections: 2 });
    assert.equal(r.skipped[0]!.path, join(dir, 'b.jpg'));
    assert.deepEqual(
      progress.map((p) => [p.done, p.total, p.skipped]),
      [
        [1, 2, 0],
        [2, 2, 1],
      ],
    );
    const im = r.images[0]!;
    assert.deepEqual([im.imageId, im.width, im.height], [42, 128, 64]);
    const score = dtype === 'float16' ? [0.89990234375, 0.60009765625] : [Math.fround(0.9), Math.fround(0.6)];
    assert.deepEqual(im.detections, [
      { image_id: 42, category_id: 1, bbox: [16, 16, 32, 32], score: score[0] },
      { image_id: 42, category_id: 6, bbox: [0, 0, 128, 64], score: score[1] },
    ]);
    assert.equal(cocoResults(r).length, 2);
  });
}

test('postprocess options and category mapping are overridable', async () => {
  const dir = await imagesDir();
  const r = await predict(constantOutputModel({ size: 64, rows: ROWS }), [join(dir, 'a.png')], {
    postprocess: { confThreshold: 0.7 },
    categories: 'index',
  });
  assert.deepEqual(
    r.images[0]!.detections.map((d) => [d.category_id, d.image_id]),
    [[0, undefined]],
  );
  assert.equal(cocoResults(r).length, 0); // no image ids, nothing for a results file
});

/** Shared-data smoke tests: real models on bus.jpg (810×1080: a bus and four people). */
const bus = join(sharedDataDir, 'images', 'bus.jpg');
for (const [file, family] of [
  ['yolox_nano.onnx', 'yolox'],
  ['yolov5n_fp16.onnx', 'yolov5'],
] as const) {
  test(`${file} finds the bus and the people in bus.jpg`, async (t) => {
    const model = join(sharedDataDir, 'models', file);
    if (!existsSync(model) || !existsSync(bus)) {
      t.skip(`shared data not found (${model}, ${bus})`);
      return;
    }
    const r = await predict(model, [bus], { threads: 2 });
    assert.equal(r.family, family);
    const dets = r.images[0]!.detections;
    assert.ok(dets.length > 10 && dets.length <= 300);
    const confident = dets.filter((d) => d.score > 0.5);
    assert.ok(
      confident.some((d) => d.category_id === 6),
      'a bus above 0.5',
    );
    assert.ok(confident.filter((d) => d.category_id === 1).length >= 3, 'at least three people above 0.5');
    for (const d of confident) {
      const [x, y, w, h] = d.bbox;
      assert.ok(w > 20 && h > 50 && x > -20 && y > 100 && x + w < 830 && y + h < 1100, `plausible box ${d.bbox.join(', ')}`);
    }
    const busBox = confident.find((d) => d.category_id === 6)!.bbox;
    assert.ok(busBox[2] > 600 && busBox[1] > 150 && busBox[1] < 300, `bus spans the width: ${busBox.join(', ')}`);
  });
}
