import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildCase, type ShapeCase } from './cases/case.js';
import { convCases } from './cases/conv-cases.js';
import { elementwiseCases } from './cases/elementwise-cases.js';
import { miscCases } from './cases/misc-cases.js';
import { resizeCases } from './cases/resize-cases.js';
import { selectCases } from './cases/select-cases.js';
import { shapeCases } from './cases/shape-cases.js';
import { compareWithOrt } from './ort-shapes.js';

/**
 * Oracle check of the hand-checked cases: every node output whose inferred shape is fully static must match the
 * dtype and dims ONNX Runtime actually produces (symbolic input dims are fed as 1).
 */

const all: ShapeCase[] = [...convCases, ...elementwiseCases, ...shapeCases, ...selectCases, ...resizeCases, ...miscCases];

for (const c of all.filter((x) => x.ort !== false)) {
  test(`ORT agrees: ${c.name}`, async () => {
    const { model, expected } = buildCase(c);
    const { compared, mismatches } = await compareWithOrt(model);
    assert.deepEqual(mismatches, []);
    assert.ok(compared >= Object.values(expected).filter((e) => e?.shape?.every((d) => typeof d === 'number')).length);
  });
}
