import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { checkModel } from '../../src/check/check-model.js';
import { buildTinyDetector } from '../../src/examples/tiny-detector.js';
import { DataType } from '../../src/onnx/ir/dtypes.js';
import type { Model } from '../../src/onnx/ir/graph.js';
import { intAttr } from '../../src/onnx/ir/attributes.js';
import { makeTensor } from '../../src/onnx/ir/tensor.js';
import { modelToBytes } from '../../src/onnx/serde/model-io.js';

type Mutation = (m: Model) => void;
const node = (m: Model, name: string) => m.graph!.nodes.find((n) => n.name === name)!;
const init = (m: Model, name: string) => m.graph!.initializers.find((t) => t.name === name)!;

/** Each case breaks a valid model in one way; `check` must name the rule and node, and ORT must refuse it too. */
const CASES: Array<{ title: string; format: Parameters<typeof buildTinyDetector>[0]; rule: string; node?: string; mutate: Mutation }> = [
  {
    title: 'dangling input',
    format: 'float',
    rule: 'dangling-input',
    node: 'down',
    mutate: (m) => {
      node(m, 'down').inputs[0] = 'nowhere';
    },
  },
  {
    title: 'cycle',
    format: 'float',
    rule: 'cycle',
    mutate: (m) => {
      node(m, 'stem').inputs[0] = node(m, 'down.silu').outputs[0]!;
    },
  },
  {
    title: 'value defined twice',
    format: 'float',
    rule: 'duplicate-name',
    node: 'dw',
    mutate: (m) => {
      node(m, 'dw').outputs[0] = node(m, 'stem').outputs[0]!;
    },
  },
  {
    title: 'custom domain not imported',
    format: 'float',
    rule: 'opset-import',
    node: 'stem.sigmoid',
    mutate: (m) => {
      node(m, 'stem.sigmoid').domain = 'com.example';
    },
  },
  {
    title: 'op newer than the opset',
    format: 'qcdq',
    rule: 'op-version',
    node: 'stem.act_q',
    mutate: (m) => {
      m.opsetImports[0]!.version = 9;
      m.irVersion = 4;
    },
  },
  {
    title: 'unknown op',
    format: 'float',
    rule: 'unknown-op',
    node: 'stem.sigmoid',
    mutate: (m) => {
      node(m, 'stem.sigmoid').opType = 'Sigmoidd';
    },
  },
  {
    title: 'INT4 below opset 21',
    format: 'int4',
    rule: 'int4-opset',
    mutate: (m) => {
      m.opsetImports[0]!.version = 13;
      m.irVersion = 8;
    },
  },
  {
    title: 'zero point type differs from the input',
    format: 'qdq4',
    rule: 'qdq-dtype',
    node: 'stem.weight_dq',
    mutate: (m) => {
      const zp = init(m, 'stem.weight_zp');
      Object.assign(zp, makeTensor(zp.name, DataType.UINT8, zp.dims, new Array(zp.dims[0]).fill(0)));
    },
  },
  {
    title: 'integer scale',
    format: 'qdq4',
    rule: 'qdq-dtype',
    node: 'stem.weight_dq',
    mutate: (m) => {
      const s = init(m, 'stem.weight_scale');
      Object.assign(s, makeTensor(s.name, DataType.INT32, s.dims, new Array(s.dims[0]).fill(1)));
    },
  },
  {
    title: 'per-axis scale of the wrong length',
    format: 'qdq4',
    rule: 'qdq-shape',
    node: 'stem.weight_dq',
    mutate: (m) => {
      const s = init(m, 'stem.weight_scale');
      Object.assign(s, makeTensor(s.name, DataType.FLOAT, [3], [1, 1, 1]));
    },
  },
  {
    title: 'block_size below opset 21',
    format: 'int4-blocked',
    rule: 'qdq-attribute',
    node: 'stem.weight_dq',
    mutate: (m) => {
      // Keep INT4 legal (opset 21 import stays) by moving this DQ to int8 codes; only the attribute is at fault at 13.
      m.opsetImports[0]!.version = 13;
      m.irVersion = 8;
      for (const t of m.graph!.initializers)
        if (t.dtype === DataType.INT4)
          Object.assign(t, makeTensor(t.name, DataType.INT8, t.dims, new Array(t.dims.reduce((a, b) => a * b, 1)).fill(1)));
    },
  },
  {
    title: 'Clip bounds of another type',
    format: 'qcdq',
    rule: 'qdq-dtype',
    node: 'stem.weight_clip',
    mutate: (m) => {
      const lo = init(m, 'stem.clip_min');
      Object.assign(lo, makeTensor(lo.name, DataType.FLOAT, [], [-7]));
    },
  },
  {
    title: 'initializer bytes do not match its shape',
    format: 'float',
    rule: 'tensor-size',
    mutate: (m) => {
      const w = init(m, 'stem.weight');
      w.data = w.data.subarray(0, w.data.byteLength - 4);
    },
  },
  {
    title: 'Resize scales in FP16',
    format: 'float',
    rule: 'input-type',
    node: 'resize',
    mutate: (m) => {
      const g = m.graph!;
      const x = node(m, 'head').outputs[0]!;
      g.initializers.push(makeTensor('scales16', DataType.FLOAT16, [4], [1, 1, 2, 2]));
      g.nodes.push({ opType: 'Resize', name: 'resize', inputs: [x, '', 'scales16'], outputs: ['resized'], attributes: [] });
      g.outputs.push({ name: 'resized', type: { elemType: DataType.FLOAT } });
    },
  },
  {
    title: 'axis attribute below opset 13',
    format: 'qdq4',
    rule: 'qdq-attribute',
    node: 'stem.weight_dq',
    mutate: (m) => {
      m.opsetImports[0]!.version = 11;
      m.irVersion = 6;
      node(m, 'stem.weight_dq').attributes = [intAttr('axis', 0)];
    },
  },
];

test('a model without a default-domain opset import gets a warning (ORT assumes its own newest opset)', () => {
  const model = buildTinyDetector('float');
  model.opsetImports = [{ domain: 'com.example', version: 1 }];
  const f = checkModel(model).findings.find((x) => x.rule === 'opset-import');
  assert.equal(f?.severity, 'warning');
});

test('valid example models have no findings', () => {
  for (const f of ['float', 'qcdq', 'int4', 'int4-blocked'] as const) assert.deepEqual(checkModel(buildTinyDetector(f)).findings, [], f);
});

for (const c of CASES) {
  test(`check finds: ${c.title} — and ONNX Runtime refuses the model too`, async () => {
    const model = buildTinyDetector(c.format);
    c.mutate(model);
    const result = checkModel(model);
    const hit = result.findings.find((f) => f.rule === c.rule && f.severity === 'error');
    assert.ok(hit, `no ${c.rule} error in ${JSON.stringify(result.findings)}`);
    if (c.node) assert.equal(hit.node, c.node);
    await assert.rejects(async () => {
      // Some faults (a scale of the wrong length) pass session creation and fail on the first run.
      const session = await ort.InferenceSession.create(modelToBytes(model));
      await session.run({ images: new ort.Tensor('float32', new Float32Array(3 * 32 * 32), [1, 3, 32, 32]) });
    }, `ORT accepted the model with: ${c.title}`);
  });
}
