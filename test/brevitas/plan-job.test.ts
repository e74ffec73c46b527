import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkPlanForBrevitas } from '../../src/brevitas/plan-job.js';
import { stageArgs } from '../../src/brevitas/stage-args.js';
import { parseCommandArgs, type CommandIo } from '../../src/cli/command.js';
import { qatCommand } from '../../src/cli/commands/qat.js';
import { isInputError } from '../../src/errors.js';
import { planToJson, type QuantPlan, type WeightDecision } from '../../src/quant/plan.js';

/**
 * `yoloq qat --from-plan` on the TS side: which plans the Brevitas stage refuses (before any image is read), the
 * flags a plan already decides, and the stage's command line. The round trip through Brevitas itself is
 * python/tests/test_from_plan.py.
 */

function weight(over: Partial<WeightDecision>): WeightDecision {
  return {
    node: '/m/Conv',
    opType: 'Conv',
    input: 1,
    tensor: 'w',
    shape: [2, 1, 1, 1],
    bits: 4,
    narrow: true,
    granularity: { kind: 'per-channel', axis: 0 },
    scales: [0.5, 0.25],
    algorithm: { name: 'rtn' },
    reason: 'test',
    ...over,
  };
}

function plan(weights: WeightDecision[]): QuantPlan {
  return { yoloqPlan: 1, scheme: 'w4a8', modelSha256: '', weights, activations: [], float: [] };
}

test('per-channel (symmetric or with zero points) and per-tensor weights pass', () => {
  checkPlanForBrevitas(plan([weight({}), weight({ granularity: { kind: 'per-tensor' }, scales: [0.5] })]));
  checkPlanForBrevitas(plan([weight({ narrow: false, zeroPoints: [1, -2], codes: 'AAA=' })]));
});

test('what Brevitas cannot carry is refused naming the layer', () => {
  const cases: Array<[WeightDecision, RegExp]> = [
    [
      weight({ node: '/blk/Conv', granularity: { kind: 'blocked', blockSize: 16 } }),
      /\/blk\/Conv: blocked granularity \(block:16\).*--target brevitas/,
    ],
    [weight({ node: '/t/Conv', granularity: { kind: 'per-channel', axis: 1 } }), /\/t\/Conv: per-channel scales along axis 1/],
    [weight({ node: '/g/Gemm', opType: 'Gemm' }), /\/g\/Gemm: Gemm; the Brevitas stage takes Conv weights only/],
  ];
  for (const [w, message] of cases) {
    assert.throws(
      () => checkPlanForBrevitas(plan([weight({}), w])),
      (e: unknown) => isInputError(e) && message.test((e as Error).message),
      w.node,
    );
  }
});

test('the stage is pointed at the job folder instead of a model and data', () => {
  const input = { path: '/m.onnx', kind: 'onnx' as const, family: 'yolox' as const, letterbox: {} as never };
  const argv = stageArgs({ steps: 0, fromPlan: '/w/plan-job' }, input, '/w/plan-job', { qcdq: '/o.onnx', work: '/w' });
  assert.deepEqual(argv.slice(0, 4), ['--from-plan', '/w/plan-job', '-o', '/o.onnx']);
  assert.ok(!argv.includes('--model') && !argv.includes('--data') && !argv.includes('--ptq'));
});

test('flags a plan already decides are refused before anything is written', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'qat-plan-'));
  const io: CommandIo = { out: () => {}, err: () => {}, progress: () => {}, note: () => {} };
  const base = ['--from-plan', join(dir, 'plan.json'), '--model', join(dir, 'm.onnx'), '--images', dir, '-o', join(dir, 'o.onnx')];
  const cases: Array<[string[], RegExp]> = [
    [['--scheme', 'w4a8'], /--scheme: --from-plan takes every quantization decision from the plan/],
    [['--weight-scaling', 'mse'], /--weight-scaling: --from-plan/],
    [['--no-keep-first-last'], /--no-keep-first-last: --from-plan/],
    [['--ptq', 'calibrate'], /--ptq calibrate: --from-plan starts from the plan/],
    [['--loss', 'labels'], /--loss labels/],
  ];
  for (const [extra, message] of cases) {
    await assert.rejects(
      qatCommand.run(parseCommandArgs(qatCommand, [...base, ...extra]), io),
      (e: unknown) => isInputError(e) && message.test((e as Error).message),
      extra.join(' '),
    );
  }
  const yaml = ['--from-plan', join(dir, 'plan.json'), '--model', 'yolov8n.yaml', '--images', dir, '-o', join(dir, 'o.onnx')];
  await assert.rejects(
    qatCommand.run(parseCommandArgs(qatCommand, yaml), io),
    (e: unknown) => isInputError(e) && /--from-plan: give the float ONNX model/.test((e as Error).message),
  );
  const missing = ['--from-plan', join(dir, 'none.json'), '--model', join(dir, 'm.onnx'), '--images', dir, '-o', join(dir, 'o.onnx')];
  await assert.rejects(qatCommand.run(parseCommandArgs(qatCommand, missing), io), (e: unknown) => isInputError(e));
  writeFileSync(join(dir, 'plan.json'), planToJson(plan([weight({})])));
  const noModel = ['--from-plan', join(dir, 'plan.json'), '--model', join(dir, 'm.onnx'), '--images', dir, '-o', join(dir, 'o.onnx')];
  await assert.rejects(
    qatCommand.run(parseCommandArgs(qatCommand, noModel), io),
    (e: unknown) => isInputError(e) && /m\.onnx: no such file/.test((e as Error).message),
  );
  assert.ok(!existsSync(join(dir, 'o.work')));
});
