import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { loadModel } from '../../src/onnx/serde/model-io.js';
import { readPlanFiles } from '../../src/quant/plan-file.js';
import { sha256 } from '../../src/util/sha256.js';
import { seededRandom } from '../../src/util/seeded-random.js';
import { runCli } from '../helpers/cli.js';
import { repoRoot } from '../helpers/paths.js';
import { runWithWeights, sameBits } from '../quant/read/helpers.js';

/**
 * `yoloq convert --plan --float` on a real Brevitas QCDQ export, then `yoloq apply` of that plan to that float
 * model: a Brevitas export round-trips into a plan a user can edit and re-apply.
 */
const fixture = join(repoRoot, 'test', 'brevitas', 'fixtures', 'tiny-w4a8.qcdq.onnx');
const rnd = seededRandom(3);
const feeds = {
  images: new ort.Tensor(
    'float32',
    Float32Array.from({ length: 3 * 64 * 64 }, () => rnd() * 255),
    [1, 3, 64, 64],
  ),
};

test('convert --plan --float, then apply --plan --format qcdq: the Brevitas graph again, numerically', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'yoloq-convert-'));
  try {
    const [out, plan, float, again] = ['int4.onnx', 'plan.json', 'float.onnx', 'again.onnx'].map((f) => join(dir, f)) as [
      string,
      string,
      string,
      string,
    ];
    const c = runCli(['convert', '--to', 'int4', fixture, '-o', out, '--plan', plan, '--float', float, '--json']);
    assert.equal(c.code, 0, c.stderr);
    const summary = JSON.parse(c.stdout) as { converted: number; kept: unknown[]; scheme: string; plan: string; float: string };
    assert.deepEqual([summary.converted, summary.kept.length, summary.scheme, summary.plan, summary.float], [7, 4, 'w4a8', plan, float]);
    const p = readPlanFiles(plan);
    assert.equal(p.modelSha256, sha256(readFileSync(float)));
    const a = runCli(['apply', '--plan', plan, float, '--format', 'qcdq', '-o', again]);
    assert.equal(a.code, 0, a.stderr);
    const convs = loadModel(fixture)
      .graph!.nodes.filter((n) => n.opType === 'Conv')
      .map((n) => [n.name!, 1] as [string, number]);
    const src = await runWithWeights(loadModel(fixture), feeds, convs);
    for (const m of [again, out]) {
      const got = await runWithWeights(loadModel(m), feeds, convs);
      for (const [n] of convs) assert.ok(sameBits(src.weights.get(n)!, got.weights.get(n)!), `${m}: ${n}`);
      assert.ok(sameBits(src.outputs[0]!, got.outputs[0]!), `${m}: outputs`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('convert without --to int4 or -o is a clean input error', () => {
  assert.equal(runCli(['convert', fixture, '-o', '/tmp/x.onnx']).code, 2);
  assert.equal(runCli(['convert', '--to', 'int4', fixture]).code, 2);
});
