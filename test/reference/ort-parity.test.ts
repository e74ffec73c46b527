import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GraphBuilder } from '../../src/onnx/ir/builder.js';
import { DataType } from '../../src/onnx/ir/dtypes.js';
import { referenceOpTypes } from '../reference-impl/registry.js';
import { runReference } from '../reference-impl/run-reference.js';
import { diff, randomFeeds, runOrt, type ParityCase } from './ort-helpers.js';
import { NN_CASES } from './parity-cases-nn.js';
import { OPS_CASES } from './parity-cases-ops.js';

/**
 * The reference interpreter against ONNX Runtime (CPU, optimizations off) on small random-input graphs that
 * together use every kernel of the registry. Every node output is compared: same dtype and dims, and
 * max |ref − ORT| ≤ 1e-4 · max(1, max |ORT|) (float16 values: 1e-3, about two float16 steps). A last test checks
 * the run as a whole: every case compared all its node outputs, and the largest difference is within tolerance.
 */

/** Relative tolerance of float16 outputs; everything else gets FLOAT_TOLERANCE. */
const FLOAT16_TOLERANCE = 1e-3;
const FLOAT_TOLERANCE = 1e-4;

const CASES: ParityCase[] = [...NN_CASES, ...OPS_CASES];

function buildCase(c: ParityCase) {
  const b = new GraphBuilder(c.name.replace(/\W+/g, '_'));
  c.build(b);
  return b.model(c.opset);
}

test('the parity fixtures use every kernel in the registry', () => {
  const used = new Set(CASES.flatMap((c) => buildCase(c).graph!.nodes.map((n) => n.opType)));
  assert.deepEqual(
    referenceOpTypes().filter((op) => !used.has(op)),
    [],
  );
});

/** What the cases compared: cases finished, node outputs compared, and the largest relative difference over its tolerance. */
const seen = { cases: 0, outputs: 0, worst: { relative: 0, share: 0, where: '' } };

for (const c of CASES) {
  test(`ORT parity: ${c.name}`, async () => {
    const model = buildCase(c);
    const all = model.graph!.nodes.flatMap((n) => n.outputs).filter((n) => n !== '');
    const feeds = randomFeeds(model, all.length);
    const ref = runReference(model, feeds, { outputs: all });
    // onnxruntime-node cannot return 4-bit tensors; their dequantized values are compared instead.
    const names = all.filter((n) => ref[n]!.dtype !== DataType.INT4 && ref[n]!.dtype !== DataType.UINT4);
    const ort = await runOrt(model, feeds, names);
    for (const name of names) {
      const d = diff(ref[name]!, ort[name]!);
      assert.equal(d.mismatch, undefined, `${name}: ${d.mismatch}`);
      const limit = ref[name]!.dtype === DataType.FLOAT16 ? FLOAT16_TOLERANCE : FLOAT_TOLERANCE;
      assert.ok(d.relative <= limit, `${name}: max |ref − ORT| = ${d.maxAbs} (relative ${d.relative})`);
      if (d.relative / limit > seen.worst.share)
        seen.worst = { relative: d.relative, share: d.relative / limit, where: `${c.name} / ${name}` };
    }
    seen.outputs += names.length;
    seen.cases++;
  });
}

test('parity summary: every case compared its node outputs, all within tolerance', (t) => {
  t.diagnostic(
    `${seen.outputs} node outputs in ${seen.cases} cases; largest relative difference ${seen.worst.relative.toExponential(2)} ` +
      `(${(100 * seen.worst.share).toFixed(1)}% of its tolerance) at ${seen.worst.where || 'none'}`,
  );
  assert.equal(seen.cases, CASES.length, 'every parity case compared all its outputs');
  assert.ok(seen.outputs >= CASES.length, `only ${seen.outputs} node outputs compared in ${CASES.length} cases`);
  assert.ok(seen.worst.share <= 1, `largest difference ${seen.worst.relative} at ${seen.worst.where} is over its tolerance`);
});
