import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildTinyDetector, EXAMPLE_FORMATS } from '../../src/examples/tiny-detector.js';
import { formatInspectReport } from '../../src/inspect/format-report.js';
import { inspectModel } from '../../src/inspect/inspect-model.js';
import { readPlan } from '../../src/quant/read/read-plan.js';
import { modelFromBytes, modelToBytes, loadModel } from '../../src/onnx/serde/model-io.js';
import { repoRoot, sharedDataDir } from '../helpers/paths.js';

const CONV_PARAMS = 8 * 3 * 9 + 8 * 9 + 16 * 8 * 9 + 16 * 16;

test('float fixture: every Conv weight is FLOAT 32-bit, 0% at 4 bits', () => {
  const r = inspectModel(buildTinyDetector('float'));
  assert.equal(r.weights.length, 4);
  assert.ok(r.weights.every((w) => w.format === 'float' && w.bits === 32 && w.storage === 'FLOAT'));
  assert.equal(r.conv.weightParams, CONV_PARAMS);
  assert.equal(r.conv.percentAt4Bits, 0);
  assert.equal(r.opHistogram.Conv, 4);
});

const expected = {
  qcdq: { format: 'qcdq', storage: 'INT8', bits: 4, gran: 'per-channel', chain: ['Clip', 'DequantizeLinear'] },
  'qcdq-runtime': {
    format: 'quantize-at-runtime',
    storage: 'FLOAT',
    bits: 4,
    gran: 'per-channel',
    chain: ['QuantizeLinear', 'Clip', 'DequantizeLinear'],
  },
  qdq4: { format: 'qdq', storage: 'INT8', bits: 4, gran: 'per-channel', chain: ['DequantizeLinear'] },
  int4: { format: 'int4', storage: 'INT4', bits: 4, gran: 'per-channel', chain: ['DequantizeLinear'] },
  'int4-blocked': { format: 'int4', storage: 'INT4', bits: 4, gran: 'blocked', chain: ['DequantizeLinear', 'Reshape'] },
  'w8-qdq': { format: 'qdq', storage: 'INT8', bits: 8, gran: 'per-channel', chain: ['DequantizeLinear'] },
} as const;

for (const [format, want] of Object.entries(expected)) {
  test(`${format} fixture: weights read as ${want.bits}-bit ${want.format}, ${want.gran}`, () => {
    // Through bytes, so the reader sees what a file would hold.
    const model = modelFromBytes(modelToBytes(buildTinyDetector(format as (typeof EXAMPLE_FORMATS)[number])));
    const r = inspectModel(model);
    assert.equal(r.weights.length, 4);
    for (const w of r.weights) {
      assert.equal(w.format, want.format, w.node);
      assert.equal(w.storage, want.storage, w.node);
      assert.equal(w.bits, want.bits, w.node);
      assert.equal(w.granularity.kind, want.gran, w.node);
      assert.deepEqual(w.chain, want.chain, w.node);
      assert.equal(w.scales?.count, w.shape[0], w.node);
      if (w.granularity.kind === 'per-channel') assert.equal(w.granularity.axis, 0);
      if (w.granularity.kind === 'blocked') {
        assert.equal(w.granularity.axis, 1);
        assert.equal(w.granularity.blockSize, w.shape[1]);
        assert.equal(w.blockedPerChannel, true);
      }
    }
    assert.equal(r.conv.weightParams, CONV_PARAMS);
    assert.equal(r.conv.percentAt4Bits, want.bits === 4 ? 100 : 0);
  });
}

test('a QCDQ Clip range sets the bits even when the stored values would need fewer', () => {
  const r = inspectModel(buildTinyDetector('qcdq'));
  assert.ok(r.weights.every((w) => w.declaredBits === 4));
});

const yolox = join(sharedDataDir, 'models', 'yolox_nano.onnx');
test('shared yolox_nano: 113 Conv nodes, 0% of Conv weight parameters at 4 bits', {
  skip: existsSync(yolox) ? false : `skipped: ${yolox} is absent`,
}, () => {
  const r = inspectModel(loadModel(yolox));
  assert.equal(r.opHistogram.Conv, 113);
  assert.equal(r.weights.filter((w) => w.opType === 'Conv').length, 113);
  assert.equal(r.conv.percentAt4Bits, 0);
  assert.equal(r.inputs[0]?.name, 'images');
});

const v5 = join(sharedDataDir, 'models', 'yolov5n_fp16.onnx');
test('shared yolov5n_fp16: FP16 weights read as 16-bit floats', { skip: existsSync(v5) ? false : `skipped: ${v5} is absent` }, () => {
  const r = inspectModel(loadModel(v5));
  const convs = r.weights.filter((w) => w.opType === 'Conv');
  assert.ok(convs.length > 50);
  assert.ok(convs.every((w) => w.storage === 'FLOAT16' && w.bits === 16));
  assert.equal(r.metadata.stride !== undefined, true);
});

test("inspect reads weights with the plan reader: its bits and zero points are the read plan's", () => {
  for (const format of EXAMPLE_FORMATS.filter((f) => f !== 'float')) {
    const model = buildTinyDetector(format);
    const rows = new Map(inspectModel(model).weights.map((w) => [w.node, w]));
    const { plan } = readPlan(model);
    assert.equal(plan.weights.length, rows.size, format);
    for (const d of plan.weights) {
      assert.equal(rows.get(d.node)!.bits, d.bits, `${format} ${d.node}`);
      assert.equal(rows.get(d.node)!.asymmetric ?? false, d.zeroPoints !== undefined, `${format} ${d.node}`);
    }
  }
});

test('the detected YOLO family, with why: a known layout by name, any other as unknown (text and JSON)', () => {
  const tiny = inspectModel(buildTinyDetector('int4'));
  assert.equal(tiny.family, 'unknown');
  assert.match(tiny.familyReason, /output output \[1,16,8,8\].*yolox: output has rank 4/);
  const v10 = inspectModel(loadModel(join(repoRoot, 'assets', 'default', 'shapes-yolov10.onnx')));
  assert.equal(v10.family, 'yolov10');
  assert.match(formatInspectReport(v10), /^YOLO family: yolov10 \(.*fits only yolov10\)$/m);
  assert.equal((JSON.parse(JSON.stringify(tiny)) as { family: string }).family, 'unknown');
});
