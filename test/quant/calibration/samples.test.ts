import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { InputError } from '../../../src/errors.js';
import { modelFromBytes } from '../../../src/onnx/serde/model-io.js';
import { calibrationSet } from '../../../src/quant/calibration/samples.js';

const model = modelFromBytes(readFileSync('assets/default/shapes-yolov10.onnx'));

async function drain(it: AsyncIterable<unknown>): Promise<number> {
  let n = 0;
  for await (const _ of it) n++;
  return n;
}

test('an undecodable calibration image is skipped once however many passes are made', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'yoloq-calib-'));
  await sharp({ create: { width: 40, height: 30, channels: 3, background: { r: 200, g: 10, b: 10 } } })
    .png()
    .toFile(join(dir, 'a.png'));
  writeFileSync(join(dir, 'b.jpg'), Buffer.from('not a jpeg at all'));
  const set = calibrationSet(model, { images: dir });
  assert.equal(await drain(set.feeds()), 1);
  assert.equal(await drain(set.feeds()), 1);
  assert.equal(set.skipped.length, 1);
  assert.match(set.skipped[0]!, /b\.jpg/);
});

test('a pass that decodes no image is an InputError, for every consumer of the set', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'yoloq-calib-'));
  mkdirSync(dir, { recursive: true });
  for (const f of ['a.jpg', 'b.jpg']) writeFileSync(join(dir, f), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16]));
  const set = calibrationSet(model, { images: dir });
  await assert.rejects(
    drain(set.feeds()),
    (e: unknown) => e instanceof InputError && /none of the 2 images could be decoded/.test(e.message),
  );
  assert.equal(set.skipped.length, 2);
});
