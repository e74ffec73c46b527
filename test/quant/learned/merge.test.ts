import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTinyDetector } from '../../../src/examples/tiny-detector.js';
import { InputError } from '../../../src/errors.js';
import { mainGraph } from '../../../src/onnx/ir/graph.js';
import { toFloat32 } from '../../../src/onnx/ir/tensor.js';
import { withExplicitCodes } from '../../../src/quant/learned/job.js';
import { mergeLearnedCodes } from '../../../src/quant/learned/merge.js';
import { parsePlan, planToJson, type QuantPlan } from '../../../src/quant/plan.js';
import { findQuantTargets } from '../../../src/quant/policy/targets.js';
import { planWeightsRtn } from '../../../src/quant/policy/weight-policy.js';
import { SCHEMES } from '../../../src/quant/scheme.js';

const SETTINGS = { iterations: 10, batch: 2, images: 4, seed: 0, qdrop: 0 };

function setup() {
  const model = buildTinyDetector('float');
  const { weights } = planWeightsRtn(findQuantTargets(model), SCHEMES.w4a16, { keepFirstLast: false });
  const plan: QuantPlan = { yoloqPlan: 1, scheme: 'w4a16', modelSha256: 'x', weights, activations: [], float: [] };
  const inits = new Map(mainGraph(model).initializers.map((t) => [t.name, t]));
  const weight = (name: string) => toFloat32(inits.get(name)!);
  const explicit = withExplicitCodes(model, plan);
  const codes = new Map(explicit.weights.map((w) => [w.node, Int8Array.from(Buffer.from(w.codes!, 'base64'))]));
  return { plan, explicit, codes, weight };
}

test('merging unchanged codes gives back the same plan, byte for byte (with and without explicit codes)', () => {
  const { plan, explicit, codes, weight } = setup();
  assert.ok(plan.weights.every((w) => w.codes === undefined));
  const a = mergeLearnedCodes(plan, codes, SETTINGS, weight);
  assert.equal(a.changed, 0);
  assert.equal(planToJson(a.plan), planToJson(plan));
  const b = mergeLearnedCodes(explicit, codes, SETTINGS);
  assert.equal(b.changed, 0);
  assert.equal(planToJson(b.plan), planToJson(explicit));
});

test('a changed weight gets its codes and a learned-rounding record over its previous one', () => {
  const { plan, codes, weight } = setup();
  const node = plan.weights[1]!.node;
  const changed = new Map(codes);
  const c = Int8Array.from(codes.get(node)!);
  c[0] = c[0]! === 7 ? 6 : c[0]! + 1;
  changed.set(node, c);
  const { plan: merged, changed: n } = mergeLearnedCodes(plan, changed, SETTINGS, weight);
  assert.equal(n, 1);
  const w = merged.weights[1]!;
  assert.deepEqual(w.algorithm, { name: 'learned-rounding', base: { name: 'rtn' }, ...SETTINGS });
  assert.deepEqual(Int8Array.from(Buffer.from(w.codes!, 'base64')), c);
  assert.deepEqual(w.scales, plan.weights[1]!.scales);
  assert.deepEqual(merged.weights[0], plan.weights[0]);
  assert.equal(planToJson(parsePlan(planToJson(merged))), planToJson(merged));
});

test('codes out of range, of the wrong count, or for a weight the plan lacks are refused', () => {
  const { plan, codes, weight } = setup();
  const node = plan.weights[0]!.node;
  const wide = Int8Array.from(codes.get(node)!);
  wide[0] = 8;
  assert.throws(() => mergeLearnedCodes(plan, new Map([[node, wide]]), SETTINGS, weight), InputError);
  assert.throws(() => mergeLearnedCodes(plan, new Map([[node, new Int8Array(3)]]), SETTINGS, weight), InputError);
  assert.throws(() => mergeLearnedCodes(plan, new Map([['nope', new Int8Array(3)]]), SETTINGS, weight), InputError);
});

test('the plan validator reads a learned-rounding record only with explicit codes', () => {
  const { plan } = setup();
  const bad = { ...plan, weights: [{ ...plan.weights[0]!, algorithm: { name: 'learned-rounding', base: { name: 'rtn' }, ...SETTINGS } }] };
  assert.throws(() => parsePlan(JSON.stringify(bad)), /explicit "codes"/);
});
