import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TARGETS, targetFormat } from '../../src/export/targets.js';

const SCHEMES = ['w4a8', 'w4a16', 'w8a8', 'w8a16'] as const;

test('ort-cpu-integer: W4A8 as the integer QDQ chain, W4A16 as native INT4, 8-bit weights as QDQ', () => {
  const integer = TARGETS['ort-cpu-integer'];
  assert.deepEqual(
    SCHEMES.map((s) => targetFormat(integer, s)),
    ['qdq', 'int4', 'qdq', 'qdq'],
  );
  assert.equal(integer.placement, 'ort-integer');
  assert.equal(integer.writeAsLoaded, true);
});

test('ort-cpu keeps the accurate default: native INT4 for both 4-bit schemes, default placement', () => {
  const cpu = TARGETS['ort-cpu'];
  assert.deepEqual(
    SCHEMES.map((s) => targetFormat(cpu, s)),
    ['int4', 'int4', 'qdq', 'qdq'],
  );
  assert.equal(cpu.placement, 'default');
  assert.deepEqual(
    (['w4a8', 'w4a16'] as const).map((s) => targetFormat(TARGETS['ort-cuda'], s)),
    ['int4-cuda', 'int4-cuda'],
  );
  // Only the CPU rows rewrite QDQ weights without zero points; the others keep what their runtime reads.
  assert.deepEqual(
    Object.values(TARGETS)
      .filter((t) => t.writeAsLoaded)
      .map((t) => t.name),
    ['ort-cpu', 'ort-cpu-integer'],
  );
});
