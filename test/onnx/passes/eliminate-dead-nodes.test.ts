import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { GraphBuilder, valueInfo } from '../../../src/onnx/ir/builder.js';
import { DataType } from '../../../src/onnx/ir/dtypes.js';
import type { Graph, Model } from '../../../src/onnx/ir/graph.js';
import { makeTensor } from '../../../src/onnx/ir/tensor.js';
import { eliminateDeadNodesPass } from '../../../src/onnx/passes/eliminate-dead-nodes.js';
import { loadModel, modelToBytes } from '../../../src/onnx/serde/model-io.js';
import { corpusDir } from '../../helpers/paths.js';

const F = DataType.FLOAT;
const pass = eliminateDeadNodesPass();

test('dead nodes, dead initializers and their value_info go; live ones keep their order', () => {
  const b = new GraphBuilder();
  const x = b.input('x', F, [2]);
  const unused = b.input('unused', F, [2]);
  const k = b.constant('k', F, [2], [1, 2]);
  const dead = b.constant('dead', F, [2], [3, 4]);
  const a = b.op('Add', [x, k], { name: 'add' });
  const d1 = b.op('Mul', [x, dead], { name: 'dead1' });
  b.op('Relu', [d1], { name: 'dead2' });
  const y = b.op('Neg', [a], { name: 'neg' });
  b.output(y, F, [2]);
  b.graph.valueInfo.push(valueInfo(a, F, [2]), valueInfo(d1, F, [2]));
  const m = b.model(13);
  const r = pass.run(m);
  assert.equal(r.modified, true);
  const g = r.model.graph!;
  assert.deepEqual(
    g.nodes.map((n) => n.name),
    ['add', 'neg'],
  );
  assert.deepEqual(
    g.initializers.map((t) => t.name),
    ['k'],
  );
  assert.deepEqual(
    g.valueInfo.map((v) => v.name),
    [a],
  );
  assert.deepEqual(
    g.inputs.map((v) => v.name),
    [x, unused],
    'graph inputs are the interface and stay',
  );
  assert.equal(m.graph!.nodes.length, 4, 'the input model is untouched');
  assert.equal(m.graph!.initializers.length, 2);
  assert.equal(pass.run(r.model).modified, false);
  assert.equal(pass.run(r.model).model, r.model);
});

test('a multi-output node stays whole when one output is live', () => {
  const b = new GraphBuilder();
  const x = b.input('x', F, [4]);
  const [p] = b.node('Split', [x], 2, { attrs: { axis: 0 } }) as [string, string];
  b.output(p, F);
  const r = pass.run(b.model(13));
  assert.equal(r.modified, false);
});

test('producers of values read inside a Loop/If body stay alive', () => {
  const body: Graph = {
    nodes: [{ opType: 'Relu', inputs: ['outer'], outputs: ['inner'], attributes: [] }],
    inputs: [],
    outputs: [{ name: 'inner' }],
    valueInfo: [],
    initializers: [],
  };
  const b = new GraphBuilder();
  const x = b.input('x', F, [2]);
  const cond = b.input('cond', DataType.BOOL, []);
  b.node('Abs', [x], ['outer'], { name: 'producer' });
  b.graph.nodes.push({
    opType: 'If',
    name: 'if',
    inputs: [cond],
    outputs: ['y'],
    attributes: [
      { name: 'then_branch', typeCode: 5, value: { kind: 'graph', value: body } },
      { name: 'else_branch', typeCode: 5, value: { kind: 'graph', value: body } },
    ],
  });
  b.output('y', F);
  assert.equal(pass.run(b.model(13)).modified, false);
});

function ir3WithDeadWeight(): Model {
  const m = loadModel(join(corpusDir, 'ir3_initializer_inputs.onnx'));
  const g = m.graph!;
  const spare = makeTensor('spare', F, [3], [1, 2, 3]);
  return { ...m, graph: { ...g, initializers: [...g.initializers, spare], inputs: [...g.inputs, valueInfo('spare', F, [3])] } };
}

test('IR-3: a dead initializer leaves together with its graph-input entry, and ORT loads the result', async () => {
  const m = ir3WithDeadWeight();
  assert.equal(m.irVersion, 3);
  const r = pass.run(m);
  assert.equal(r.modified, true);
  const g = r.model.graph!;
  assert.deepEqual(
    g.inputs.map((v) => v.name),
    ['x', 'w', 'b'],
  );
  assert.deepEqual(g.initializers.map((t) => t.name).sort(), ['b', 'w']);
  const initNames = new Set(g.initializers.map((t) => t.name));
  for (const t of g.initializers)
    assert.ok(
      g.inputs.some((v) => v.name === t.name),
      `IR-3 needs ${t.name} listed as an input`,
    );
  assert.ok(g.inputs.filter((v) => v.name !== 'x').every((v) => initNames.has(v.name)));
  const session = await ort.InferenceSession.create(modelToBytes(r.model));
  const out = await session.run({ x: new ort.Tensor('float32', new Float32Array(3 * 64), [1, 3, 8, 8]) });
  assert.deepEqual(out.y!.dims, [1, 4, 8, 8]);
  await session.release();
});

test('IR-3 corpus model as shipped has nothing dead', () => {
  const m = loadModel(join(corpusDir, 'ir3_initializer_inputs.onnx'));
  assert.equal(pass.run(m).model, m);
});
