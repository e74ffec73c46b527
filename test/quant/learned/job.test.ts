import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTinyDetector } from '../../../src/examples/tiny-detector.js';
import { mainGraph, nodeLabel } from '../../../src/onnx/ir/graph.js';
import { toFloat32 } from '../../../src/onnx/ir/tensor.js';
import { learnGraph, withExplicitCodes } from '../../../src/quant/learned/job.js';
import type { QuantPlan } from '../../../src/quant/plan.js';
import { findQuantTargets } from '../../../src/quant/policy/targets.js';
import { planWeightsRtn } from '../../../src/quant/policy/weight-policy.js';
import { SCHEMES } from '../../../src/quant/scheme.js';
import { quantizeCodes } from '../../../src/quant/weights/codes.js';

function setup() {
  const model = buildTinyDetector('float');
  const { weights } = planWeightsRtn(findQuantTargets(model), SCHEMES.w4a16, { keepFirstLast: false });
  const plan: QuantPlan = { yoloqPlan: 1, scheme: 'w4a16', modelSha256: 'x', weights, activations: [], float: [] };
  return { model, plan };
}

test('explicit codes: round-to-nearest on the plan grid where the plan has none, its own where it has them', () => {
  const { model, plan } = setup();
  const inits = new Map(mainGraph(model).initializers.map((t) => [t.name, t]));
  const out = withExplicitCodes(model, plan);
  for (const [i, w] of out.weights.entries()) {
    const d = plan.weights[i]!;
    const rtn = quantizeCodes(toFloat32(inits.get(d.tensor)!), d.shape, d.granularity, d.scales, d.bits, d.narrow);
    assert.deepEqual(Int8Array.from(Buffer.from(w.codes!, 'base64')), rtn);
  }
  const again = withExplicitCodes(model, out);
  assert.deepEqual(again.weights, out.weights);
});

test("the job graph names every node by its label and keeps the float biases (a corrected one is the quantized model's)", () => {
  const { model } = setup();
  const g = mainGraph(learnGraph(model));
  const src = mainGraph(model);
  assert.deepEqual(
    g.nodes.map((n) => n.name),
    src.nodes.map((n, i) => nodeLabel(n, i)),
  );
  assert.deepEqual(
    g.nodes.map((n) => n.inputs),
    src.nodes.map((n) => n.inputs),
  );
  assert.equal(g.initializers, src.initializers);
});
