import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { exportModel } from '../../../src/export/export-model.js';
import { GraphBuilder } from '../../../src/onnx/ir/builder.js';
import { DataType } from '../../../src/onnx/ir/dtypes.js';
import type { Model } from '../../../src/onnx/ir/graph.js';
import { makeTensor } from '../../../src/onnx/ir/tensor.js';
import { readPlan } from '../../../src/quant/read/read-plan.js';
import { seededRandom } from '../../../src/util/seeded-random.js';
import { runWithWeights, sameBits } from './helpers.js';

/**
 * Weight chains other tools write, and quantizers a plan cannot hold: each case is one Conv (input "x"
 * [1,4,5,5], weight [4,4,3,3]) whose weight comes through the chain under test.
 */

const COUT = 4;
const DIMS = [COUT, 4, 3, 3];
const N = 144;
const rnd = seededRandom(5);
const feeds = {
  x: new ort.Tensor(
    'float32',
    Float32Array.from({ length: 100 }, () => rnd() * 2 - 1),
    [1, 4, 5, 5],
  ),
};
const ints = (lo: number, hi: number, n = N) => Array.from({ length: n }, (_, i) => lo + ((i * 7 + 3) % (hi - lo + 1)));
const scales = [0.01, 0.02, 0.015, 0.03];

function conv(build: (b: GraphBuilder) => string, opset = 13, act?: (b: GraphBuilder, x: string) => string): Model {
  const b = new GraphBuilder('case');
  const x = b.input('x', DataType.FLOAT, [1, 4, 5, 5]);
  const w = build(b);
  const bias = b.constant('bias', DataType.FLOAT, [COUT], [0.1, -0.1, 0.2, 0]);
  b.op('Conv', [act ? act(b, x) : x, w, bias], { name: 'conv', attrs: { kernel_shape: [3, 3] } });
  b.graph.nodes.at(-1)!.outputs[0] = 'y';
  b.output('y', DataType.FLOAT, [1, COUT, 3, 3]);
  return b.model(opset);
}

function dq(b: GraphBuilder, codes: string, zp: string | undefined, attrs: Record<string, number> = { axis: 0 }): string {
  const s = b.constant('w_scale', DataType.FLOAT, [COUT], scales);
  return b.op('DequantizeLinear', [codes, s, ...(zp ? [zp] : [])], { name: 'w_dq', attrs });
}

/** The read plan exported as QDQ computes the source's weights and outputs bit for bit; so does the float model. */
async function assertSameWeights(source: Model): Promise<void> {
  const read = readPlan(source);
  const a = await runWithWeights(source, feeds, [['conv', 1]]);
  for (const m of [read.float, exportModel(read.float, read.plan, { format: 'qdq' })]) {
    const b = await runWithWeights(m, feeds, [['conv', 1]]);
    assert.ok(sameBits(a.weights.get('conv')!, b.weights.get('conv')!));
    assert.ok(sameBits(a.outputs[0]!, b.outputs[0]!));
  }
}

test('uint8 codes with zero points (ORT quantizer style) shift into the signed range: same (q − z)', async () => {
  const model = conv((b) =>
    dq(b, b.constant('w_q', DataType.UINT8, DIMS, ints(90, 170)), b.constant('w_zp', DataType.UINT8, [COUT], [128, 130, 120, 128])),
  );
  const { plan, kept } = readPlan(model);
  assert.deepEqual(kept, []);
  const w = plan.weights[0]!;
  assert.deepEqual([w.bits, w.narrow, w.zeroPoints], [8, false, [0, 2, -8, 0]]);
  await assertSameWeights(model);
});

test('UINT4 codes read as 4-bit, zero point 8 becoming a symmetric grid', async () => {
  const model = conv(
    (b) =>
      dq(
        b,
        b.tensor(makeTensor('w_q', DataType.UINT4, DIMS, ints(1, 15))),
        b.tensor(makeTensor('w_zp', DataType.UINT4, [COUT], [8, 8, 8, 8])),
      ),
    21,
  );
  const w = readPlan(model).plan.weights[0]!;
  assert.deepEqual([w.bits, w.narrow, w.zeroPoints], [4, true, undefined]);
  await assertSameWeights(model);
});

test('4-bit codes carried in int8 without a Clip read as 4-bit; float → QuantizeLinear (uint8) → DequantizeLinear too', async () => {
  const carried = conv((b) => dq(b, b.constant('w_q', DataType.INT8, DIMS, ints(-7, 7)), undefined));
  assert.deepEqual(
    readPlan(carried).plan.weights.map((w) => [w.bits, w.narrow]),
    [[4, true]],
  );
  await assertSameWeights(carried);
  const runtime = conv((b) => {
    const w = b.constant(
      'w',
      DataType.FLOAT,
      DIMS,
      Array.from({ length: N }, (_, i) => Math.sin(i) * 0.5),
    );
    const s = b.constant('q_scale', DataType.FLOAT, [], [0.004]);
    const q = b.op('QuantizeLinear', [w, s], { name: 'w_quant' });
    return b.op('DequantizeLinear', [q, s], { name: 'w_dq' });
  });
  const w = readPlan(runtime).plan.weights[0]!;
  assert.deepEqual([w.bits, w.granularity.kind], [8, 'per-tensor']);
  await assertSameWeights(runtime);
});

test('chains a plan cannot hold are kept, named, and left as they were in the float model', async () => {
  const transposed = conv((b) => {
    const w = dq(b, b.constant('w_q', DataType.INT8, [4, COUT, 3, 3], ints(-7, 7)), undefined, { axis: 1 });
    return b.op('Transpose', [w], { name: 'w_t', attrs: { perm: [1, 0, 2, 3] } });
  });
  const scrambled = conv((b) => {
    const s = b.constant(
      'w_scale',
      DataType.FLOAT,
      [36],
      Array.from({ length: 36 }, (_, i) => 0.01 + i / 1000),
    );
    const w = b.op('DequantizeLinear', [b.constant('w_q', DataType.INT8, [4, 36], ints(-7, 7)), s], { name: 'w_dq', attrs: { axis: 1 } });
    return b.op('Reshape', [w, b.constant('shape', DataType.INT64, [4], DIMS)], { name: 'w_reshape' });
  });
  const int16 = conv((b) => dq(b, b.constant('w_q', DataType.INT16, DIMS, ints(-300, 300)), undefined), 21);
  for (const [model, reason] of [
    [transposed, /Transpose between/],
    [scrambled, /do not map/],
    [int16, /16-bit codes/],
  ] as const) {
    const read = readPlan(model);
    assert.equal(read.plan.weights.length, 0);
    assert.deepEqual(
      read.kept.map((k) => k.node),
      ['w_dq'],
    );
    assert.match(read.kept[0]!.reason, reason);
    assert.ok(read.float.graph!.nodes.some((n) => n.name === 'w_dq'));
    await assertSameWeights(model);
  }
});

test('a quantized bias is kept; activation pairs with a Clip or a second scale are kept, the first pair read', async () => {
  const model = conv(
    (b) => dq(b, b.constant('w_q', DataType.INT8, DIMS, ints(-7, 7)), undefined),
    13,
    (b, x) => {
      const s = b.scalar('a_scale', 0.02);
      const s2 = b.scalar('a_scale2', 0.03);
      const zp = b.scalar('a_zp', 0, DataType.INT8);
      const q = b.op('QuantizeLinear', [x, s, zp], { name: 'a_q' });
      const d = b.op('DequantizeLinear', [q, s, zp], { name: 'a_dq' });
      const q2 = b.op('QuantizeLinear', [x, s2, zp], { name: 'a_q2' });
      const c = b.op('Clip', [q2, b.scalar('lo', -7, DataType.INT8), b.scalar('hi', 7, DataType.INT8)], { name: 'a_clip' });
      const d2 = b.op('DequantizeLinear', [c, s2, zp], { name: 'a_dq2' });
      const q3 = b.op('QuantizeLinear', [x, s2, zp], { name: 'a_q3' });
      const d3 = b.op('DequantizeLinear', [q3, s2, zp], { name: 'a_dq3' });
      b.node('Add', [d2, d3], ['z'], { name: 'sum' });
      b.output('z', DataType.FLOAT, [1, 4, 5, 5]);
      return d;
    },
  );
  const g = model.graph!;
  const conv0 = g.nodes.find((n) => n.name === 'conv')!;
  const biasQ = makeTensor('bias_q', DataType.INT32, [COUT], [10, -10, 20, 0]);
  g.initializers.push(biasQ, makeTensor('bias_s', DataType.FLOAT, [], [0.01]));
  g.nodes.splice(g.nodes.indexOf(conv0), 0, {
    opType: 'DequantizeLinear',
    name: 'bias_dq',
    inputs: ['bias_q', 'bias_s'],
    outputs: ['bias_f'],
    attributes: [],
  });
  conv0.inputs[2] = 'bias_f';
  const read = readPlan(model);
  assert.deepEqual(read.kept.map((k) => k.node).sort(), ['a_q2', 'a_q3', 'bias_dq']);
  assert.match(read.kept.find((k) => k.node === 'a_q2')!.reason, /Clip/);
  assert.match(read.kept.find((k) => k.node === 'a_q3')!.reason, /another scale/);
  // a_q feeds exactly the quantized Conv (the kept pairs still read x, as float readers).
  assert.deepEqual(
    read.plan.activations.map((a) => [a.value, a.scale, a.signed, a.readers]),
    [['x', Math.fround(0.02), true, undefined]],
  );
  assert.equal(read.plan.weights.length, 1);
  assert.deepEqual(
    read.float.graph!.nodes.map((n) => n.name),
    ['a_q2', 'a_clip', 'a_dq2', 'a_q3', 'a_dq3', 'sum', 'bias_dq', 'conv'],
  );
});
