import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../../src/errors.js';
import { buildTinyDetector } from '../../../src/examples/tiny-detector.js';
import { modelFromBytes, modelToBytes } from '../../../src/onnx/serde/model-io.js';
import type { QuantPlan } from '../../../src/quant/plan.js';
import { assertFinitePlan } from '../../../src/quant/policy/non-finite.js';
import { measureSqnr } from '../../../src/quant/sqnr.js';
import { applyPlan, makePlan } from '../../../src/workflow/quantize.js';
import { poison } from '../../helpers/poison.js';
import { tinyInput } from '../../helpers/run-tiny.js';

const poisoned = () => modelToBytes(poison(buildTinyDetector('float'), 'down.weight', 7, Number.NaN));

function allFinite(plan: QuantPlan): boolean {
  const nums = [
    ...plan.weights.flatMap((w) => [...w.scales, ...(w.zeroPoints ?? []), ...(w.bias ?? [])]),
    ...plan.activations.flatMap((a) => [a.scale, a.zeroPoint, ...a.range]),
  ];
  return nums.every(Number.isFinite);
}

test('quantize refuses non-finite weights up front, naming the layer and the way out', async () => {
  await assert.rejects(
    makePlan(poisoned(), { scheme: 'w4a16' }),
    (e: unknown) =>
      e instanceof InputError &&
      /1 layer holds NaN or Inf values: down \(weight 1 NaN\)/.test(e.message) &&
      /--allow-nonfinite/.test(e.message),
  );
});

test('--allow-nonfinite keeps those layers float and quantizes the rest: no NaN reaches a scale or a code', async () => {
  const { plan, work } = await makePlan(poisoned(), { scheme: 'w4a16', nonFinite: 'keep-float' });
  assert.ok(!plan.weights.some((w) => w.node === 'down'));
  assert.ok(plan.weights.length >= 2);
  assert.match(plan.float.find((f) => f.node === 'down')!.reason, /non-finite values \(weight 1 NaN\) kept float/);
  assert.ok(allFinite(plan));
  const out = applyPlan(work, plan, { format: 'qcdq' });
  assert.ok(modelFromBytes(modelToBytes(out)).graph!.nodes.length > 0);
});

test('the plan is the last line of defence: a NaN scale is an InputError naming the tensor', async () => {
  const { plan } = await makePlan(modelToBytes(buildTinyDetector('float')), { scheme: 'w4a16' });
  plan.weights[0]!.scales[0] = Number.NaN;
  assert.throws(
    () => assertFinitePlan(plan),
    (e: unknown) => e instanceof InputError && e.message.includes(plan.weights[0]!.tensor),
  );
});

test('SQNR counts NaN outputs instead of turning into NaN', async () => {
  const reference = poisoned();
  const { plan, work } = await makePlan(reference, { scheme: 'w4a16', nonFinite: 'keep-float' });
  const quantized = modelToBytes(applyPlan(work, plan, { format: 'qcdq' }));
  async function* feeds() {
    yield { images: { dtype: 'float32' as const, dims: [1, 3, 32, 32], data: tinyInput(3) } };
  }
  const r = await measureSqnr(reference, quantized, feeds(), 1);
  assert.ok(r.nonFinite! > 0);
  assert.ok(!Number.isNaN(r.sqnrDb));
});
