import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { InputError } from '../../src/errors.js';
import { listImages, loadImage } from '../../src/data/images.js';

/** A 4×2 RGB test card: row 0 red, green, blue, white; row 1 black, grey 128, yellow, cyan. */
const CARD = Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 128, 128, 128, 255, 255, 0, 0, 255, 255]);
const raw = { raw: { width: 4, height: 2, channels: 3 as const } };

test('PNG decodes to exact RGB HWC bytes', async () => {
  const png = await sharp(CARD, raw).png().toBuffer();
  const r = await loadImage(png);
  assert.ok(r.ok);
  assert.equal(r.image.width, 4);
  assert.equal(r.image.height, 2);
  assert.deepEqual([...r.image.data], [...CARD]);
  assert.equal(r.image.reoriented, false);
});

test('alpha is dropped and greyscale becomes three equal channels', async () => {
  const rgba = await sharp(Uint8Array.from([10, 20, 30, 0, 40, 50, 60, 255]), { raw: { width: 2, height: 1, channels: 4 } })
    .png()
    .toBuffer();
  const a = await loadImage(rgba);
  assert.ok(a.ok);
  assert.deepEqual([...a.image.data], [10, 20, 30, 40, 50, 60]);
  const grey = await sharp(Uint8Array.from([0, 77, 255]), { raw: { width: 3, height: 1, channels: 1 } })
    .png()
    .toBuffer();
  const g = await loadImage(grey);
  assert.ok(g.ok);
  assert.deepEqual([...g.image.data], [0, 0, 0, 77, 77, 77, 255, 255, 255]);
});

test('EXIF orientation 6 (rotate 90° clockwise) is applied by default and ignored with orientation: stored', async () => {
  const jpeg = await sharp(CARD, raw).jpeg({ quality: 100 }).withMetadata({ orientation: 6 }).toBuffer();
  const shown = await loadImage(jpeg);
  assert.ok(shown.ok);
  assert.deepEqual([shown.image.width, shown.image.height, shown.image.exifOrientation, shown.image.reoriented], [2, 4, 6, true]);
  const stored = await loadImage(jpeg, { orientation: 'stored' });
  assert.ok(stored.ok);
  assert.deepEqual([stored.image.width, stored.image.height, stored.image.exifOrientation, stored.image.reoriented], [4, 2, 6, false]);
  // Rotating clockwise puts the stored bottom-left pixel (black) at the top-left.
  assert.ok(shown.image.data[0]! < 40 && shown.image.data[1]! < 40);
});

test('undecodable, empty and missing files are results, not exceptions', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'yoloq-img-'));
  writeFileSync(join(dir, 'junk.jpg'), 'not an image at all');
  writeFileSync(join(dir, 'empty.png'), '');
  const good = await sharp(CARD, raw).jpeg().toBuffer();
  writeFileSync(join(dir, 'cut.jpg'), good.subarray(0, 20));
  for (const name of ['junk.jpg', 'empty.png', 'cut.jpg', 'missing.jpg']) {
    const r = await loadImage(join(dir, name));
    assert.equal(r.ok, false, name);
    assert.ok(!r.ok && r.reason.length > 0 && r.source.endsWith(name));
  }
});

test('listImages is sorted by code units, filters by extension, optionally recursive', () => {
  const dir = mkdtempSync(join(tmpdir(), 'yoloq-list-'));
  for (const f of ['b.jpg', 'B.JPG', 'a.png', 'a10.jpg', 'a2.jpg', 'notes.txt', 'c.jpeg']) writeFileSync(join(dir, f), '');
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'sub', 'z.jpg'), '');
  const names = (paths: string[]): string[] => paths.map((p) => p.slice(dir.length + 1));
  assert.deepEqual(names(listImages(dir)), ['B.JPG', 'a.png', 'a10.jpg', 'a2.jpg', 'b.jpg', 'c.jpeg']);
  assert.deepEqual(names(listImages(dir, { recursive: true })), [
    'B.JPG',
    'a.png',
    'a10.jpg',
    'a2.jpg',
    'b.jpg',
    'c.jpeg',
    join('sub', 'z.jpg'),
  ]);
  assert.throws(() => listImages(join(dir, 'nope')), InputError);
  assert.throws(() => listImages(join(dir, 'b.jpg')), InputError);
});

test('listImages takes symlinks to image files and leaves out dangling ones and links to folders', () => {
  const src = mkdtempSync(join(tmpdir(), 'yoloq-list-src-'));
  const dir = mkdtempSync(join(tmpdir(), 'yoloq-list-links-'));
  writeFileSync(join(src, 'real.jpg'), '');
  mkdirSync(join(src, 'folder.jpg'));
  symlinkSync(join(src, 'real.jpg'), join(dir, 'a.jpg'));
  symlinkSync(join(src, 'missing.jpg'), join(dir, 'b.jpg'));
  symlinkSync(join(src, 'folder.jpg'), join(dir, 'c.jpg'));
  writeFileSync(join(dir, 'd.jpg'), '');
  assert.deepEqual(
    listImages(dir).map((p) => p.slice(dir.length + 1)),
    ['a.jpg', 'd.jpg'],
  );
});

test('a truncated JPEG is reported as unreadable, not decoded with grey rows', async () => {
  const big = await sharp(Buffer.alloc(64 * 64 * 3, 90), { raw: { width: 64, height: 64, channels: 3 } })
    .jpeg()
    .toBuffer();
  const r = await loadImage(big.subarray(0, Math.floor(big.length * 0.7)));
  assert.equal(r.ok, false);
});

test('a JPEG with corrupted scan bytes that the decoder warns about is used, and says so; a clean one has no warning', async () => {
  const pixels = Buffer.from(Array.from({ length: 64 * 48 * 3 }, (_, i) => (i * 7919) % 251));
  const clean = await sharp(pixels, { raw: { width: 64, height: 48, channels: 3 } })
    .jpeg({ quality: 90 })
    .toBuffer();
  const ok = await loadImage(clean);
  assert.ok(ok.ok && ok.warning === undefined);
  // 64 bytes overwritten in the middle of the entropy-coded data: libjpeg decodes past them with a warning.
  let sos = 0;
  while (!(clean[sos] === 0xff && clean[sos + 1] === 0xda)) sos++;
  const start = sos + 2 + ((clean[sos + 2]! << 8) | clean[sos + 3]!);
  const damaged = Buffer.from(clean);
  const at = start + Math.floor((clean.length - 2 - start) / 2);
  for (let i = 0; i < 64; i++) damaged[at + i] = (i * 37 + 11) & 0xff;
  const r = await loadImage(damaged);
  assert.ok(r.ok, 'still decoded (as PIL and OpenCV would)');
  assert.match(r.warning ?? '', /Corrupt JPEG data/);
  assert.equal(r.image.width, 64);
});
