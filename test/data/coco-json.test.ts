import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  parseCocoDetections,
  parseCocoGroundTruth,
  readCocoDetections,
  readCocoGroundTruth,
  toCocoResults,
  writeCocoDetections,
} from '../../src/data/coco-json.js';
import { InputError } from '../../src/errors.js';
import { sharedDataDir } from '../helpers/paths.js';

type Row = Record<string, unknown>;
interface Instances {
  images: Row[];
  categories: Row[];
  annotations: Row[];
}

function instances(): Instances {
  return {
    images: [
      { id: 1, file_name: 'a.jpg', width: 640, height: 480 },
      { id: 2, file_name: 'b.jpg', width: 100, height: 50 },
    ],
    categories: [
      { id: 1, name: 'person', supercategory: 'person' },
      { id: 3, name: 'car' },
    ],
    annotations: [
      { id: 10, image_id: 1, category_id: 1, bbox: [1, 2, 3, 4], area: 10.5, iscrowd: 0, segmentation: [[1, 2, 3, 4]] },
      { id: 11, image_id: 2, category_id: 3, bbox: [0, 0, 10, 10], area: 100, iscrowd: 1 },
      { id: 12, image_id: 2, category_id: 3, bbox: [5, 5, 0, 0], area: 0 },
    ],
  };
}

function throwsInput(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof InputError && pattern.test(e.message), `expected InputError matching ${pattern}`);
}

test('parses an instances JSON', () => {
  const gt = parseCocoGroundTruth(instances());
  assert.deepEqual(gt.images[1], { id: 2, fileName: 'b.jpg', width: 100, height: 50 });
  assert.deepEqual(gt.categories, [
    { id: 1, name: 'person', supercategory: 'person' },
    { id: 3, name: 'car' },
  ]);
  assert.deepEqual(gt.annotations[0], { id: 10, imageId: 1, categoryId: 1, bbox: [1, 2, 3, 4], area: 10.5, iscrowd: false });
  assert.equal(gt.annotations[1]!.iscrowd, true);
  assert.equal(gt.annotations[2]!.iscrowd, false); // missing iscrowd means not a crowd
});

test('bad instances JSON: one clear message naming the entry and field', () => {
  const bad = (edit: (d: Instances) => void): Instances => {
    const d = instances();
    edit(d);
    return d;
  };
  throwsInput(() => parseCocoGroundTruth([], 'gt.json'), /^gt\.json: the top level is not a JSON object/);
  throwsInput(() => parseCocoGroundTruth({ images: [], categories: [] }), /no "annotations" array/);
  throwsInput(() => parseCocoGroundTruth(bad((d) => delete d.annotations[0]!.area)), /annotations\[0\] \(id 10\) has area missing/);
  throwsInput(
    () => parseCocoGroundTruth(bad((d) => (d.annotations[1]!.bbox = [0, 0, 1]))),
    /annotations\[1\] \(id 11\) has bbox \[0,0,1\]/,
  );
  throwsInput(() => parseCocoGroundTruth(bad((d) => (d.annotations[1]!.bbox = [0, 0, -1, 2]))), /negative bbox width/);
  throwsInput(() => parseCocoGroundTruth(bad((d) => (d.annotations[2]!.id = 10))), /annotation id 10 appears more than once/);
  throwsInput(() => parseCocoGroundTruth(bad((d) => (d.annotations[2]!.image_id = 99))), /annotation 12 has image_id 99/);
  throwsInput(() => parseCocoGroundTruth(bad((d) => (d.annotations[2]!.category_id = 2))), /category_id 2, which is not in "categories"/);
  throwsInput(() => parseCocoGroundTruth(bad((d) => (d.annotations[2]!.iscrowd = 'yes'))), /iscrowd "yes"/);
  throwsInput(() => parseCocoGroundTruth(bad((d) => (d.images[0]!.id = '1'))), /images\[0\] has id "1"; expected an integer/);
  throwsInput(() => parseCocoGroundTruth(bad((d) => delete d.images[1]!.width)), /images\[1\] has width missing/);
  throwsInput(() => parseCocoGroundTruth(bad((d) => delete d.categories[1]!.name)), /categories\[1\] has no name/);
});

test('detections: parse, convert back, and reject bad entries', () => {
  const raw = [{ image_id: 1, category_id: 3, bbox: [1.5, 2, 3, 4], score: 0.25, extra: 'ignored' }];
  const dets = parseCocoDetections(raw);
  assert.deepEqual(dets, [{ imageId: 1, categoryId: 3, bbox: [1.5, 2, 3, 4], score: 0.25 }]);
  assert.deepEqual(toCocoResults(dets), [{ image_id: 1, category_id: 3, bbox: [1.5, 2, 3, 4], score: 0.25 }]);
  throwsInput(() => parseCocoDetections({}), /not a JSON array/);
  throwsInput(() => parseCocoDetections([{ image_id: 1, category_id: 3, bbox: [1, 2, 3, 4] }]), /detection 0 has score missing/);
  throwsInput(
    () => parseCocoDetections([...raw, { image_id: 1, category_id: 3, bbox: [1, 2, 3, 4], score: null }]),
    /detection 1 has score null/,
  );
  throwsInput(() => parseCocoDetections([{ image_id: 1.5, category_id: 3, bbox: [1, 2, 3, 4], score: 1 }]), /image_id 1\.5/);
});

test('file round trip and file errors', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'yoloq-coco-json-'));
  try {
    const dets = [{ imageId: 2, categoryId: 1, bbox: [0.1, 0.2, 30, 40] as const, score: 0.123456789 }];
    await writeCocoDetections(join(dir, 'dets.json'), dets);
    assert.deepEqual(await readCocoDetections(join(dir, 'dets.json')), dets);
    await writeFile(join(dir, 'gt.json'), JSON.stringify(instances()));
    assert.equal((await readCocoGroundTruth(join(dir, 'gt.json'))).annotations.length, 3);
    await writeFile(join(dir, 'broken.json'), '{"images": [');
    await assert.rejects(
      readCocoGroundTruth(join(dir, 'broken.json')),
      (e: unknown) => e instanceof InputError && /broken\.json: not valid JSON/.test(e.message),
    );
    await assert.rejects(
      readCocoGroundTruth(join(dir, 'missing.json')),
      (e: unknown) => e instanceof InputError && /missing\.json: no such file/.test(e.message),
    );
  } finally {
    await rm(dir, { recursive: true });
  }
});

const val100 = join(sharedDataDir, 'coco', 'val100', 'instances_val100.json');
test('parses the shared val100 instances file', { skip: existsSync(val100) ? false : `no ${val100}` }, async () => {
  const gt = await readCocoGroundTruth(val100);
  assert.equal(gt.images.length, 100);
  assert.equal(gt.annotations.length, 785);
  assert.equal(gt.annotations.filter((a) => a.iscrowd).length, 7);
  assert.equal(gt.categories.length, 80);
});
