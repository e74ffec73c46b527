import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { InputError } from '../../../src/errors.js';
import { modelFromBytes } from '../../../src/onnx/serde/model-io.js';
import { calibrationSet, drawSubset, openCalibration } from '../../../src/quant/calibration/samples.js';

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

/** Four small decodable images and one truncated JPEG, in a fresh folder. */
async function mixedFolder(): Promise<{ dir: string; broken: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'yoloq-calib-'));
  for (const [i, name] of ['a.png', 'b.png', 'd.png', 'e.png'].entries()) {
    await sharp({ create: { width: 40, height: 30, channels: 3, background: { r: 50 * i, g: 10, b: 10 } } })
      .png()
      .toFile(join(dir, name));
  }
  const jpeg = await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 9, g: 99, b: 199 } } })
    .jpeg()
    .toBuffer();
  const broken = join(dir, 'c.jpg');
  writeFileSync(broken, jpeg.subarray(0, jpeg.length >> 1));
  return { dir, broken };
}

test('a draw is made of images that decode: a subset that drew the broken image takes the next of the seeded order', async () => {
  const { dir, broken } = await mixedFolder();
  const cal = openCalibration(model, { images: dir, count: 5 });
  const all = [...cal.set.paths];
  // A seed whose one-image draw is the broken JPEG (what a one-image stage drew in the issue).
  const seed = [...Array(64).keys()].find((s) => drawSubset(all, 1, s)[0] === broken)!;
  assert.notEqual(seed, undefined);
  const one = cal.draw({ count: 1, seed });
  assert.equal(await drain(one.feeds()), 1, 'one image fed, not "none of the 1 images could be decoded"');
  assert.equal(one.paths[0], broken);
  assert.equal(one.paths.length - one.skipped.length, 1);
  const replacement = one.paths[1]!;
  assert.notEqual(replacement, broken);
  // Deterministic: the same draw again takes the same replacement, and later passes feed the same image.
  assert.equal(await drain(one.feeds()), 1);
  assert.deepEqual(cal.draw({ count: 1, seed }).paths, [broken]);
  const again = cal.draw({ count: 1, seed });
  await drain(again.feeds());
  assert.deepEqual(again.paths, one.paths);
  // A draw of 3 meeting the broken one still feeds 3.
  const three = cal.draw({ count: 3, seed });
  assert.equal(await drain(three.feeds()), 3);
});

test('when every image decodes, draws are exactly the seeded subsets they always were', async () => {
  const { dir, broken } = await mixedFolder();
  rmSync(broken);
  const cal = openCalibration(model, { images: dir, count: 4 });
  for (const seed of [0, 1, 2, 7]) {
    const d = cal.draw({ count: 2, seed });
    const want = drawSubset(cal.set.paths, 2, seed);
    assert.deepEqual(d.paths, want);
    await drain(d.feeds());
    assert.deepEqual(d.paths, want, 'nothing appended');
  }
});
