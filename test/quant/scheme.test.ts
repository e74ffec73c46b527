import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SCHEMES, isSchemeName } from '../../src/quant/scheme.js';
import { repoRoot } from '../helpers/paths.js';

/** src/quant/schemes.json is the one scheme table: SCHEMES is built from it (python/tests/test_config.py reads it too). */

const table = (path: string) => (JSON.parse(readFileSync(path, 'utf8')) as { schemes: Array<Record<string, unknown>> }).schemes;

test('SCHEMES is the scheme table, row for row and in its order', () => {
  const rows = table(join(repoRoot, 'src', 'quant', 'schemes.json'));
  assert.deepEqual(
    Object.keys(SCHEMES),
    rows.map((r) => r.name),
  );
  for (const row of rows) assert.deepEqual({ ...SCHEMES[row.name as keyof typeof SCHEMES] }, row);
  assert.deepEqual(SCHEMES.w4a8, { name: 'w4a8', weightBits: 4, keptWeightBits: 8, activations: 'int8' });
  assert.deepEqual(SCHEMES.w8a16, { name: 'w8a16', weightBits: 8, keptWeightBits: 8, activations: 'float' });
});

test('the compiled copy of the table is the source table', () => {
  assert.deepEqual(table(join(repoRoot, 'dist', 'src', 'quant', 'schemes.json')), table(join(repoRoot, 'src', 'quant', 'schemes.json')));
});

test("SCHEMES and its rows are frozen; isSchemeName knows exactly the table's names", () => {
  assert.ok(Object.isFrozen(SCHEMES) && Object.values(SCHEMES).every((s) => Object.isFrozen(s)));
  for (const n of ['w4a8', 'w4a16', 'w8a8', 'w8a16']) assert.ok(isSchemeName(n), n);
  for (const n of ['w3a3', 'W4A8', 'toString', '__proto__', '']) assert.ok(!isSchemeName(n), n);
});
