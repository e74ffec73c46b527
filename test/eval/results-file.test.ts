import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toDetectionColumns } from '../../src/eval/coco/index.js';
import { writeCocoResultsFile } from '../../src/eval/results-file.js';

const dir = mkdtempSync(join(tmpdir(), 'yoloq-results-file-'));

test('writeCocoResultsFile writes the bytes JSON.stringify gives, across chunk boundaries, and no temp file', () => {
  const dets = Array.from({ length: 7 }, (_, n) => ({
    imageId: 100 + n,
    categoryId: 1 + (n % 3),
    bbox: [n * 1.5, -0, 0.1 + n, 1e-7 * n] as const,
    score: 1 / (n + 3),
  }));
  const expected = JSON.stringify(dets.map((d) => ({ image_id: d.imageId, category_id: d.categoryId, bbox: [...d.bbox], score: d.score })));
  for (const chunk of [1, 3, 7, 100]) {
    const path = join(dir, `r${chunk}.json`);
    writeCocoResultsFile(path, toDetectionColumns(dets), chunk);
    assert.equal(readFileSync(path, 'utf8'), expected, `chunk ${chunk}`);
  }
  writeCocoResultsFile(join(dir, 'empty.json'), toDetectionColumns([]));
  assert.equal(readFileSync(join(dir, 'empty.json'), 'utf8'), '[]');
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.startsWith('.')),
    [],
  );
});
