import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../../src/errors.js';
import { FORMAT_CAPABILITIES, FORMAT_NAMES, FORMATS, formatFromOptions } from '../../../src/export/formats.js';
import { checkFormatRequest, checkPlanFits } from '../../../src/quant/formats/capabilities.js';
import { parseGranularity, type QuantPlan, type WeightDecision } from '../../../src/quant/plan.js';

const isInput = (re: RegExp) => (e: unknown) => e instanceof InputError && re.test((e as Error).message);

function weight(extra: Partial<WeightDecision>): WeightDecision {
  return {
    node: 'conv',
    opType: 'Conv',
    input: 1,
    tensor: 'w',
    shape: [2, 16, 1, 1],
    bits: 4,
    narrow: true,
    granularity: { kind: 'per-channel', axis: 0 },
    scales: [0.1, 0.1],
    algorithm: { name: 'rtn' },
    reason: 'test',
    ...extra,
  };
}

const plan = (weights: WeightDecision[]): QuantPlan => ({
  yoloqPlan: 1,
  scheme: 'w4a16',
  modelSha256: '',
  weights,
  activations: [],
  float: [],
});

test('the format table: one row per format, capabilities as data, opsets as the ONNX spec gives them', () => {
  assert.deepEqual(FORMAT_NAMES, ['qcdq', 'qdq', 'int4', 'int4-cuda', 'int4-compact', 'int4-compact-fp8']);
  assert.equal(FORMAT_CAPABILITIES['int4-compact'].scaleLevels, 2);
  assert.equal(FORMAT_CAPABILITIES['int4-compact'].blockScaleCodes, 'uint8');
  assert.equal(FORMAT_CAPABILITIES['int4-compact-fp8'].blockScaleCodes, 'e4m3');
  // Exactly the two-level rows name a block-scale code type.
  for (const n of FORMAT_NAMES)
    assert.equal(FORMAT_CAPABILITIES[n].blockScaleCodes !== undefined, FORMAT_CAPABILITIES[n].scaleLevels === 2, n);
  for (const n of FORMAT_NAMES) {
    assert.equal(FORMATS[n].name, n);
    assert.ok(Object.isFrozen(FORMATS[n]) && Object.isFrozen(FORMATS[n].capabilities));
    // DequantizeLinear-21 brings block_size and INT4; an opset-13 format can carry neither.
    assert.equal(FORMAT_CAPABILITIES[n].blockedScales, FORMAT_CAPABILITIES[n].opset >= 21);
    assert.equal(FORMAT_CAPABILITIES[n].weightStorage === 'int4', FORMAT_CAPABILITIES[n].opset >= 21);
  }
  assert.equal(FORMAT_CAPABILITIES.qdq.ortIntegerConv, true);
  assert.equal(FORMAT_CAPABILITIES.int4.yoloqFoldsAtLoad, true);
});

test('--format and --cuda-layout resolve to one row; --cuda-layout without int4 is refused', () => {
  assert.equal(formatFromOptions(undefined), 'qcdq');
  assert.equal(formatFromOptions('int4', true), 'int4-cuda');
  assert.equal(formatFromOptions('int4-cuda', true), 'int4-cuda');
  assert.throws(() => formatFromOptions('qdq', true), isInput(/--cuda-layout applies to --format int4 only/));
  assert.throws(
    () => formatFromOptions('int3'),
    isInput(/--format int3: expected one of qcdq, qdq, int4, int4-cuda, int4-compact, int4-compact-fp8$/),
  );
});

test('a request a format cannot carry is refused naming the option and the formats that can', () => {
  const block16 = parseGranularity('block:16');
  assert.throws(
    () => checkFormatRequest('qcdq', FORMAT_CAPABILITIES, { granularity: block16 }),
    isInput(
      /^--granularity block:16: --format qcdq cannot carry blocked scales .* use --format int4 or int4-cuda or int4-compact or int4-compact-fp8, or --granularity per-channel$/,
    ),
  );
  assert.throws(() => checkFormatRequest('qdq', FORMAT_CAPABILITIES, { granularity: block16 }), isInput(/--format qdq/));
  for (const ok of ['int4', 'int4-cuda']) checkFormatRequest(ok, FORMAT_CAPABILITIES, { granularity: block16, zeroPoints: true });
  checkFormatRequest('qcdq', FORMAT_CAPABILITIES, { granularity: parseGranularity('per-channel'), zeroPoints: true });
  const symmetricOnly = { ...FORMAT_CAPABILITIES, sym: { ...FORMAT_CAPABILITIES.qdq, zeroPoints: false } };
  assert.throws(
    () => checkFormatRequest('sym', symmetricOnly, { zeroPoints: true }),
    isInput(/--asym-weights on: --format sym takes only symmetric weights/),
  );
});

test('a saved plan is checked against the format before anything is emitted', () => {
  const blocked = plan([weight({ granularity: { kind: 'blocked', blockSize: 8 }, scales: [1, 1, 1, 1] })]);
  assert.throws(
    () => checkPlanFits('qcdq', FORMAT_CAPABILITIES, blocked),
    isInput(/plan weight conv has blocked scales \(block:8\): --format qcdq cannot carry them.*re-plan with --granularity per-channel/),
  );
  checkPlanFits('int4', FORMAT_CAPABILITIES, blocked);
  checkPlanFits('qcdq', FORMAT_CAPABILITIES, plan([weight({})]));
  const asym = plan([weight({ narrow: false, zeroPoints: [1, 0], codes: 'AAAA' })]);
  const symmetricOnly = { ...FORMAT_CAPABILITIES, sym: { ...FORMAT_CAPABILITIES.qdq, zeroPoints: false } };
  assert.throws(
    () => checkPlanFits('sym', symmetricOnly, asym),
    isInput(/plan weight conv has zero points: --format sym takes only symmetric weights/),
  );
});

test('granularity has one spelling on the command line and one type behind it', () => {
  assert.deepEqual(parseGranularity('per-channel'), { kind: 'per-channel' });
  assert.deepEqual(parseGranularity('per-tensor'), { kind: 'per-tensor' });
  assert.deepEqual(parseGranularity('block:32'), { kind: 'blocked', blockSize: 32 });
  for (const bad of ['block:0', 'block:', 'blocked', 'block:x'])
    assert.throws(() => parseGranularity(bad), isInput(/expected per-channel, per-tensor or block:N/), bad);
});
