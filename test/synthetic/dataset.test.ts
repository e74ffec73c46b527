import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCocoGroundTruth } from '../../src/data/coco-json.js';
import { loadImage } from '../../src/data/images.js';
import { cachedSplit, imageSeed, writeSplit } from '../../src/synthetic/dataset.js';
import { seededRandom } from '../../src/quant/rounding.js';
import { renderScene } from '../../src/synthetic/scene.js';

const dir = mkdtempSync(join(tmpdir(), 'yoloq-synth-'));

test('a scene is a pure function of its seed: same pixels and boxes twice, different for another seed', () => {
  const a = renderScene(seededRandom(imageSeed(0, 'val', 3)));
  const b = renderScene(seededRandom(imageSeed(0, 'val', 3)));
  const c = renderScene(seededRandom(imageSeed(1, 'val', 3)));
  assert.deepEqual(a.objects, b.objects);
  assert.deepEqual(a.rgb, b.rgb);
  assert.notDeepEqual(a.rgb.slice(0, 300), c.rgb.slice(0, 300));
  assert.ok(a.objects.length >= 1);
  for (const o of a.objects) {
    assert.ok(o.box.x1 >= 0 && o.box.y1 >= 0 && o.box.x2 <= a.width && o.box.y2 <= a.height, 'objects lie inside the image');
    assert.ok(o.area > 0 && o.area <= (o.box.x2 - o.box.x1 + 2) * (o.box.y2 - o.box.y1 + 2));
  }
});

test('writeSplit: COCO JSON, YOLO labels and images agree; image i does not depend on the split size', async () => {
  const small = await writeSplit({ root: join(dir, 'a'), split: 'val', count: 3, seed: 0 });
  const large = await writeSplit({ root: join(dir, 'b'), split: 'val', count: 5, seed: 0 });
  assert.equal(readdirSync(small.images).length, 3);
  for (const f of readdirSync(small.images)) assert.deepEqual(readFileSync(join(small.images, f)), readFileSync(join(large.images, f)));
  const gt = await readCocoGroundTruth(small.instances);
  assert.deepEqual(
    gt.categories.map((c) => [c.id, c.name]),
    [
      [1, 'circle'],
      [2, 'square'],
      [3, 'triangle'],
      [4, 'cross'],
      [5, 'ring'],
    ],
  );
  assert.equal(gt.annotations.length, small.objects);
  for (const im of gt.images) {
    const loaded = await loadImage(join(small.images, im.fileName));
    assert.ok(loaded.ok && loaded.image.width === im.width && loaded.image.height === im.height);
    const anns = gt.annotations.filter((a) => a.imageId === im.id);
    const lines = readFileSync(join(small.labels, im.fileName.replace('.jpg', '.txt')), 'utf8')
      .trim()
      .split('\n');
    assert.equal(lines.length, anns.length);
    anns.forEach((a, k) => {
      const [cls, cx, cy, w, h] = lines[k]!.split(' ').map(Number) as [number, number, number, number, number];
      assert.equal(cls, a.categoryId - 1);
      assert.ok(
        Math.abs(cx * im.width - (a.bbox[0] + a.bbox[2] / 2)) < 0.02 &&
          Math.abs(h * im.height - a.bbox[3]) < 0.02 &&
          Math.abs(w * im.width - a.bbox[2]) < 0.02 &&
          Math.abs(cy * im.height - (a.bbox[1] + a.bbox[3] / 2)) < 0.02,
      );
    });
  }
});

test('cachedSplit makes a split once and reuses it', async () => {
  const cache = join(dir, 'cache');
  const first = await cachedSplit(cache, 'calib', 2, 0);
  assert.ok(existsSync(first.instances) && readdirSync(first.images).length === 2);
  let called = false;
  const again = await cachedSplit(cache, 'calib', 2, 0, () => {
    called = true;
  });
  assert.deepEqual(again, first);
  assert.equal(called, false);
  assert.deepEqual(readdirSync(join(cache, 'synthetic-v1')), ['calib-seed0-n2']);
});
