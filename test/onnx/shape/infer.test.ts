import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { GraphBuilder, valueInfo } from '../../../src/onnx/ir/builder.js';
import type { Model } from '../../../src/onnx/ir/graph.js';
import { loadModel, modelFromBytes, modelToBytes } from '../../../src/onnx/serde/model-io.js';
import { annotateShapes, inferShapes, inferShapesWithValues } from '../../../src/onnx/shape/infer.js';
import { supportedOps } from '../../../src/onnx/shape/registry.js';
import { corpusDir } from '../../helpers/paths.js';
import { F, I64, f, int64s, t, zerosInit } from './cases/case.js';

function small(): { model: Model; names: Record<string, string> } {
  const b = new GraphBuilder();
  const x = b.input('x', F, ['N', 3, 8, 8]);
  const conv = b.op('Conv', [x, zerosInit(b, 'w', [4, 3, 3, 3])], { attrs: { pads: [1, 1, 1, 1] } });
  const act = b.op('Relu', [conv]);
  const shape = b.op('Shape', [act]);
  const flat = b.op('Reshape', [act, int64s(b, 'target', [0, -1])]);
  b.output(flat, F);
  return { model: b.model(13), names: { x, conv, act, shape, flat } };
}

test('inputs, initializers and node outputs are all in the map', () => {
  const { model, names } = small();
  const shapes = inferShapes(model);
  assert.deepEqual(shapes.get(names.x!), f('N', 3, 8, 8));
  assert.deepEqual(shapes.get('w'), f(4, 3, 3, 3));
  assert.deepEqual(shapes.get('target'), t(I64, [2]));
  assert.deepEqual(shapes.get(names.act!), f('N', 4, 8, 8));
  assert.deepEqual(shapes.get(names.flat!), f('N', 256));
});

test('the model is not modified', () => {
  const { model } = small();
  const before = structuredClone(model);
  inferShapes(model);
  annotateShapes(model);
  assert.deepEqual(model, before);
});

test('contents computed by the constant evaluator are returned, symbols included', () => {
  const { model, names } = small();
  const { constants } = inferShapesWithValues(model);
  assert.deepEqual(constants.get(names.shape!), { dtype: I64, dims: [4], values: ['N', 4, 8, 8] });
});

test('nodes listed out of order are still inferred; nodes on a cycle are skipped without throwing', () => {
  const b = new GraphBuilder();
  const x = b.input('x', F, [2, 3]);
  b.node('Relu', ['mid'], ['late']);
  b.node('Sigmoid', [x], ['mid']);
  b.node('Add', ['c2', x], ['c1']);
  b.node('Add', ['c1', x], ['c2']);
  const shapes = inferShapes(b.model(13));
  assert.deepEqual(shapes.get('late'), f(2, 3));
  assert.equal(shapes.has('c1'), false);
});

test('declared value_info fills what no rule knows; useDeclared: false ignores it', () => {
  const b = new GraphBuilder();
  const x = b.input('x', F, [2, 3]);
  const custom = b.op('MyOp', [x], { domain: 'my.domain' });
  const relu = b.op('Relu', [custom]);
  const vague = b.op('Reshape', [x, b.input('s', I64, [2])]);
  b.graph.valueInfo.push(valueInfo(custom, F, [6]), valueInfo(vague, F, [null, 2]));
  const model = b.model(13);
  const shapes = inferShapes(model);
  assert.deepEqual(shapes.get(custom), f(6));
  assert.deepEqual(shapes.get(relu), f(6));
  assert.deepEqual(shapes.get(vague), f(null, 2), 'an unknown inferred dim is taken from value_info');
  const strict = inferShapes(model, { useDeclared: false });
  assert.equal(strict.has(custom), false);
  assert.equal(strict.has(relu), false);
  assert.deepEqual(strict.get(vague), f(null, null));
});

test('maxConstElements bounds what the constant evaluator reads', () => {
  const b = new GraphBuilder();
  const x = b.input('x', F, [2, 6]);
  const y = b.op('Reshape', [x, int64s(b, 'target', [3, 4])]);
  const model = b.model(13);
  assert.deepEqual(inferShapes(model).get(y), f(3, 4));
  assert.deepEqual(inferShapes(model, { maxConstElements: 1 }).get(y), f(null, null));
});

test('a model without a graph gives an empty map; one without an opset import assumes a recent opset', () => {
  assert.equal(inferShapes({ opsetImports: [], metadata: [] }).size, 0);
  const b = new GraphBuilder();
  const x = b.input('x', F, [2, 1, 3]);
  const y = b.op('Squeeze', [x, int64s(b, 'axes', [1])]);
  assert.deepEqual(inferShapes({ ...b.model(13), opsetImports: [] }).get(y), f(2, 3));
});

test('the IR-3 corpus model (initializers listed as inputs) infers its Conv output', () => {
  const model = loadModel(join(corpusDir, 'ir3_initializer_inputs.onnx'));
  assert.deepEqual(inferShapes(model, { useDeclared: false }).get('y'), f(1, 4, 8, 8));
});

test('annotateShapes adds value_info only for intermediates lacking one, and survives a save', () => {
  const { model, names } = small();
  model.graph!.valueInfo.push(valueInfo(names.conv!, F, ['N', 4, 8, 8]));
  const out = annotateShapes(model);
  assert.notEqual(out, model);
  assert.notEqual(out.graph, model.graph);
  assert.equal(model.graph!.valueInfo.length, 1);
  assert.deepEqual(
    out.graph!.valueInfo.map((v) => v.name),
    [names.conv, names.act, names.shape],
  );
  assert.deepEqual(out.graph!.valueInfo[1], valueInfo(names.act!, F, ['N', 4, 8, 8]));
  assert.equal(annotateShapes(out), out, 'nothing left to add: the same model comes back');
  const back = modelFromBytes(modelToBytes(out));
  assert.deepEqual(
    back.graph!.valueInfo.map((v) => v.type),
    out.graph!.valueInfo.map((v) => v.type),
  );
});

test('the registry covers every op YOLO graphs use', () => {
  const ops = new Set(supportedOps());
  const required = `Conv ConvTranspose MaxPool AveragePool GlobalAveragePool Relu LeakyRelu Sigmoid HardSigmoid HardSwish Tanh Exp
    Log Sqrt Neg Abs Softmax Add Sub Mul Div Pow Clip Cast Concat Reshape Transpose Slice Split Squeeze Unsqueeze Flatten Resize
    Upsample MatMul Gemm BatchNormalization Identity Constant Shape Gather GatherElements TopK ReduceMax ReduceMean ReduceSum
    ArgMax Expand Tile Where Equal Greater Less Not And Range ConstantOfShape Einsum QuantizeLinear DequantizeLinear Pad Dropout
    Sign Floor Ceil Round Min Max Sum`.split(/\s+/);
  assert.deepEqual(
    required.filter((op) => !ops.has(op)),
    [],
  );
});

test('no rule throws, whatever a node looks like (missing inputs, junk attributes, out-of-range axes)', () => {
  const junkNames = [
    'axis',
    'axes',
    'perm',
    'split',
    'kernel_shape',
    'pads',
    'strides',
    'to',
    'value',
    'equation',
    'mode',
    'k',
    'keepdims',
    'auto_pad',
    'shape',
    'starts',
    'ends',
    'scales',
    'num_outputs',
    'output_dtype',
    'group',
    'start',
    'end',
  ];
  for (const op of supportedOps()) {
    for (const opset of [7, 9, 11, 13, 18, 21]) {
      const b = new GraphBuilder();
      const x = b.input('x', F, [2, 3]);
      const i = b.input('i', I64, [2]);
      const s = b.input('s', F, ['N', null]);
      b.node(op, [], 1);
      b.node(op, [x], 3);
      b.node(op, [x, i, x, i, x, i], 2);
      b.node(op, [s, 'missing', ''], 1, { attrs: Object.fromEntries(junkNames.map((n) => [n, 'junk'])) });
      b.node(op, [i, int64s(b, 'c', [-7, 0])], 1, {
        attrs: { axis: 99, axes: [99], perm: [5, 5], to: 999, kernel_shape: [0, 0], split: [1] },
      });
      assert.doesNotThrow(() => inferShapes(b.model(opset)), `${op} at opset ${opset}`);
    }
  }
});
