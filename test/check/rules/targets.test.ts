import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkModel } from '../../../src/check/check-model.js';
import type { RuntimeName } from '../../../src/check/rules/targets.js';
import { TARGET_NAMES, TARGETS } from '../../../src/export/targets.js';
import { GraphBuilder } from '../../../src/onnx/ir/builder.js';
import { DataType, type DataTypeCode } from '../../../src/onnx/ir/dtypes.js';
import type { Model } from '../../../src/onnx/ir/graph.js';

interface WeightSpec {
  codes: DataTypeCode;
  dims: number[];
  zeroPoint?: number;
  blockSize?: number;
  /** Reshape the dequantized 2-D weight to the Conv's 4-D shape. */
  reshape?: boolean;
  activation?: DataTypeCode;
}

/** One Conv [4, 2, 1, 1] whose weight is a DequantizeLinear of stored codes, as each rule's failing example needs. */
function convModel(w: WeightSpec): Model {
  const b = new GraphBuilder('rule');
  const act = w.activation ?? DataType.FLOAT;
  const x = b.input('x', act, [1, 2, 4, 4]);
  const n = w.dims.reduce((a, c) => a * c, 1);
  const q = b.constant('w_q', w.codes, w.dims, new Array(n).fill(1));
  const scaleDims = w.blockSize ? [w.dims[0]!, Math.ceil(w.dims[1]! / w.blockSize)] : [w.dims[0]!];
  const s = b.constant(
    'w_s',
    act === DataType.FLOAT16 ? DataType.FLOAT16 : DataType.FLOAT,
    scaleDims,
    new Array(scaleDims.reduce((a, c) => a * c, 1)).fill(0.5),
  );
  const inputs = [q, s];
  if (w.zeroPoint !== undefined)
    inputs.push(b.constant('w_zp', w.codes, scaleDims, new Array(scaleDims.reduce((a, c) => a * c, 1)).fill(w.zeroPoint)));
  const attrs: Record<string, number> = { axis: w.blockSize ? 1 : 0, ...(w.blockSize ? { block_size: w.blockSize } : {}) };
  let weight = b.op('DequantizeLinear', inputs, { name: 'w_dq', attrs });
  if (w.reshape) weight = b.op('Reshape', [weight, b.constant('w_shape', DataType.INT64, [4], [4, 2, 1, 1])]);
  b.node('Conv', [x, weight], ['y'], { name: 'conv' });
  b.output('y', act, [1, 4, 4, 4]);
  return b.model(21);
}

function rules(model: Model, target: RuntimeName): string[] {
  return checkModel(model, { target }).findings.map((f) => `${f.rule}@${f.node}`);
}

test('every target is a row of one table naming its format rows', () => {
  assert.deepEqual(TARGET_NAMES, ['ort-cpu', 'ort-cpu-integer', 'ort-cuda', 'tensorrt', 'brevitas']);
  assert.equal(TARGETS.tensorrt.symmetricWeights, true);
  assert.equal(TARGETS['ort-cuda'].format.w4, 'int4-cuda');
});

test('tensorrt: a non-zero zero point, block quantization of a 4-D weight and INT4 Conv weights are errors, each with its node', () => {
  assert.ok(rules(convModel({ codes: DataType.INT8, dims: [4, 2, 1, 1], zeroPoint: 1 }), 'tensorrt').includes('trt-zero-point@w_dq'));
  assert.deepEqual(rules(convModel({ codes: DataType.INT8, dims: [4, 2, 1, 1], zeroPoint: 0 }), 'tensorrt'), []);
  assert.ok(rules(convModel({ codes: DataType.INT4, dims: [4, 2, 1, 1], blockSize: 2 }), 'tensorrt').includes('trt-block-rank@w_dq'));
  assert.ok(
    rules(convModel({ codes: DataType.INT4, dims: [4, 2], blockSize: 2, reshape: true }), 'tensorrt').includes('trt-int4-conv@w_dq'),
  );
  assert.ok(
    !rules(convModel({ codes: DataType.INT4, dims: [4, 2], blockSize: 2, reshape: true }), 'tensorrt').includes('trt-block-rank@w_dq'),
  );
});

test('ort-cuda: per-axis INT4 DequantizeLinear is an error; the blocked 2-D form passes', () => {
  assert.ok(rules(convModel({ codes: DataType.INT4, dims: [4, 2, 1, 1] }), 'ort-cuda').includes('cuda-int4-per-axis@w_dq'));
  assert.deepEqual(rules(convModel({ codes: DataType.INT4, dims: [4, 2], blockSize: 2, reshape: true }), 'ort-cuda'), []);
});

test('ort-cpu: an FP16 Conv and an INT4 weight dequantized every run are warnings', () => {
  const fp16 = checkModel(convModel({ codes: DataType.INT8, dims: [4, 2, 1, 1], activation: DataType.FLOAT16 }), { target: 'ort-cpu' });
  assert.ok(fp16.findings.some((f) => f.rule === 'cpu-fp16-conv' && f.node === 'conv' && f.severity === 'warning'));
  const int4 = checkModel(convModel({ codes: DataType.INT4, dims: [4, 2, 1, 1] }), { target: 'ort-cpu' });
  assert.ok(int4.findings.some((f) => f.rule === 'dq-every-run' && f.node === 'w_dq') && int4.errors === 0);
});

test('brevitas: INT4 weights are not its QCDQ form', () => {
  assert.ok(rules(convModel({ codes: DataType.INT4, dims: [4, 2, 1, 1] }), 'brevitas').includes('brevitas-int4@w_dq'));
  assert.deepEqual(rules(convModel({ codes: DataType.INT8, dims: [4, 2, 1, 1] }), 'brevitas'), []);
});

test('without --target only the generic rules run', () => {
  assert.deepEqual(checkModel(convModel({ codes: DataType.INT8, dims: [4, 2, 1, 1], zeroPoint: 1 })).findings, []);
});
