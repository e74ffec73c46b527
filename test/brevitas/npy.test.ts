import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NpyWriter, npyHeader } from '../../src/brevitas/npy.js';

test('npy header: magic, version 1.0, 64-byte aligned, the dict numpy reads', () => {
  const h = npyHeader('uint8', [2, 3, 4, 5]);
  assert.equal(h.length % 64, 0);
  assert.deepEqual([...h.slice(0, 8)], [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  const len = h[8]! | (h[9]! << 8);
  assert.equal(10 + len, h.length);
  const text = Buffer.from(h.slice(10)).toString('latin1');
  assert.equal(text.trimEnd(), "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3, 4, 5), }");
  assert.ok(text.endsWith('\n'));
  assert.match(Buffer.from(npyHeader('float32', [7])).toString('latin1'), /'<f4'.*\(7,\)/);
});

test('NpyWriter streams rows and checks their size and count', () => {
  const dir = mkdtempSync(join(tmpdir(), 'npy-'));
  const w = new NpyWriter(join(dir, 'a.npy'), 'uint8', [2, 3]);
  w.append(Uint8Array.of(1, 2, 3));
  assert.throws(() => w.append(Uint8Array.of(1)), /3/);
  w.append(Uint8Array.of(4, 5, 6));
  w.finish();
  const bytes = readFileSync(join(dir, 'a.npy'));
  assert.deepEqual([...bytes.subarray(bytes.length - 6)], [1, 2, 3, 4, 5, 6]);
  const short = new NpyWriter(join(dir, 'b.npy'), 'uint8', [2, 1]);
  short.append(Uint8Array.of(9));
  assert.throws(() => short.finish(), /wrote 1 rows, header says 2/);
});
