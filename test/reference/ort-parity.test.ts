import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GraphBuilder } from '../../src/onnx/ir/builder.js';
import { DataType } from '../../src/onnx/ir/dtypes.js';
import { referenceOpTypes } from '../../src/reference/registry.js';
import { runReference } from '../../src/reference/run-reference.js';
import { diff, randomFeeds, runOrt, type ParityCase } from './ort-helpers.js';
import { NN_CASES } from './parity-cases-nn.js';
import { OPS_CASES } from './parity-cases-ops.js';

/**
 * The reference interpreter against ONNX Runtime (CPU, optimizations off) on small random-input graphs that
 * together use every kernel of the registry. Every node output is compared: same dtype and dims, and
 * max |ref − ORT| ≤ 1e-4 · max(1, max |ORT|) (float16 values: 1e-3, about two float16 steps).
 */

const CASES: ParityCase[] = [...NN_CASES, ...OPS_CASES];

function buildCase(c: ParityCase) {
  const b = new GraphBuilder(c.name.replace(/\W+/g, '_'));
  c.build(b);
  return b.model(c.opset);
}

test('the parity fixtures use every kernel in the registry', () => {
  const used = new Set(CASES.flatMap((c) => buildCase(c).graph!.nodes.map((n) => n.opType)));
  assert.deepEqual(referenceOpTypes().filter((op) => !used.has(op)), []);
});

let worst = { relative: 0, where: '' };

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
      const limit = ref[name]!.dtype === DataType.FLOAT16 ? 1e-3 : 1e-4;
      assert.ok(d.relative <= limit, `${name}: max |ref − ORT| = ${d.maxAbs} (relative ${d.relative})`);
      if (d.relative > worst.relative) worst = { relative: d.relative, where: `${c.name} / ${name}` };
    }
  });
}

test('parity summary', (t) => {
  t.diagnostic(`largest relative difference: ${worst.relative.toExponential(2)} at ${worst.where}`);
});
