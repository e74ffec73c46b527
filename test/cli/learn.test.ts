import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTinyDetector } from '../../src/examples/tiny-detector.js';
import { modelToBytes } from '../../src/onnx/serde/model-io.js';
import { planToJson, type QuantPlan } from '../../src/quant/plan.js';
import { findQuantTargets } from '../../src/quant/policy/targets.js';
import { planWeightsRtn } from '../../src/quant/policy/weight-policy.js';
import { SCHEMES } from '../../src/quant/scheme.js';
import { isCleanInputError, runCli } from '../helpers/cli.js';

/** The end-to-end run (TS job → Python → merge) is python/tests/test_learned.py; here: help and refusals. */

test('learn --help lists its options', () => {
  const r = runCli(['learn', '--help']);
  assert.equal(r.code, 0);
  for (const opt of [
    '--model',
    '--plan',
    '--calib',
    '--iters',
    '--batch',
    '--loss',
    '--seed',
    '--device',
    '--prepare-only',
    '--from-job',
    '--json',
    '-o, --output',
  ])
    assert.ok(r.stdout.includes(opt), `help lacks ${opt}`);
});

test('learn refuses bad input with one line and exit 2, before any work', () => {
  const dir = mkdtempSync(join(tmpdir(), 'yoloq-learn-test-'));
  try {
    const model = buildTinyDetector('float');
    const { weights } = planWeightsRtn(findQuantTargets(model), SCHEMES.w4a16, {});
    const plan: QuantPlan = { yoloqPlan: 1, scheme: 'w4a16', modelSha256: 'not-this-model', weights, activations: [], float: [] };
    writeFileSync(join(dir, 'm.onnx'), modelToBytes(model));
    writeFileSync(join(dir, 'p.json'), planToJson(plan));
    const base = ['learn', '--model', join(dir, 'm.onnx'), '--calib', dir, '-o', join(dir, 'out.json')];
    const cases = [
      [...base],
      [...base, '--plan', join(dir, 'p.json'), '--iters', '-1'],
      [...base, '--plan', join(dir, 'p.json'), '--device', 'tpu'],
      [...base, '--plan', join(dir, 'p.json'), '--loss', 'iou'],
      [...base, '--plan', join(dir, 'p.json')],
      [...base, '--plan', join(dir, 'missing.json')],
      [...base, '--plan', join(dir, 'p.json'), '--work-dir', dir],
    ];
    for (const args of cases) {
      const r = runCli(args);
      assert.ok(isCleanInputError(r), `${args.slice(-2).join(' ')}: ${r.code} ${r.stderr}`);
    }
    assert.match(runCli([...base, '--plan', join(dir, 'p.json')]).stderr, /another model/);
    assert.match(runCli([...base, '--plan', join(dir, 'p.json'), '--loss', 'iou']).stderr, /--loss iou: expected mse or output/);
    assert.match(runCli([...base, '--plan', join(dir, 'p.json'), '--work-dir', dir]).stderr, /holds other files/);
    const plain = ['learn', '--model', join(dir, 'm.onnx'), '--plan', join(dir, 'p.json')];
    const more: Array<[string[], RegExp]> = [
      [[...plain, '--calib', dir, '--prepare-only'], /--prepare-only writes the job folder: give it with --work-dir/],
      [
        [...plain, '--calib', dir, '--prepare-only', '--work-dir', join(dir, 'job'), '-o', join(dir, 'o.json')],
        /--prepare-only writes no plan/,
      ],
      [[...plain, '--from-job', join(dir, 'job'), '--prepare-only'], /exclude each other/],
      [[...plain, '--from-job', join(dir, 'job'), '--calib', dir, '-o', join(dir, 'o.json')], /--calib belongs to the run/],
      [[...plain, '--from-job', join(dir, 'job')], /give the output plan with -o/],
      [[...plain, '--from-job', join(dir, 'missing'), '-o', join(dir, 'o.json')], /another model|no such folder/],
    ];
    for (const [args, message] of more) {
      const r = runCli(args);
      assert.ok(isCleanInputError(r), `${args.slice(4).join(' ')}: ${r.code} ${r.stderr}`);
      assert.match(r.stderr, message);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
