import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTinyDetector } from '../../src/examples/tiny-detector.js';
import { DataType } from '../../src/onnx/ir/dtypes.js';
import type { Model } from '../../src/onnx/ir/graph.js';
import { makeTensor, toFloat32, toIntegers } from '../../src/onnx/ir/tensor.js';
import { intAttr } from '../../src/onnx/ir/attributes.js';
import { loadModel, modelToBytes } from '../../src/onnx/serde/model-io.js';
import { createSession } from '../../src/runtime/session.js';
import { prepareModel } from '../../src/runtime/prepare-model.js';
import { hostTensor } from '../../src/runtime/host-tensor.js';
import { zeroPointFreeWeightsPass } from '../../src/runtime/zero-point-free-weights.js';
import { isCleanInputError, runCli } from '../helpers/cli.js';
import { tinyInput } from '../helpers/run-tiny.js';

/** The example detector's int8-carried QDQ form with a non-zero zero point per output channel on every weight. */
function withChannelZeroPoints(): Model {
  const m = buildTinyDetector('qdq4');
  const g = m.graph!;
  const inits = new Map(g.initializers.map((t) => [t.name, t]));
  for (const n of g.nodes) {
    const x = inits.get(n.inputs[0] ?? '');
    if (n.opType !== 'DequantizeLinear' || !x || x.dtype !== DataType.INT8) continue;
    const rows = x.dims[0]!;
    const zp = makeTensor(
      `${x.name}.zp`,
      DataType.INT8,
      [rows],
      Array.from({ length: rows }, (_, k) => (k % 5) - 2),
    );
    g.initializers.push(zp);
    // The scale is per channel already or per tensor; make it per channel so the zero points have their axis.
    const s = inits.get(n.inputs[1]!)!;
    const sv = toFloat32(s);
    const scale = makeTensor(
      `${x.name}.s_rows`,
      DataType.FLOAT,
      [rows],
      Array.from({ length: rows }, (_, k) => sv[sv.length > 1 ? k : 0]!),
    );
    g.initializers.push(scale);
    n.inputs = [n.inputs[0]!, scale.name, zp.name];
    n.attributes = [intAttr('axis', 0)];
  }
  return m;
}

async function outputs(source: string | Uint8Array): Promise<Float32Array> {
  const s = await createSession(source, { threads: 1 });
  const r = await s.run({ images: hostTensor('float32', [1, 3, 32, 32], tinyInput(4)) });
  await s.dispose();
  return r.output!.data as Float32Array;
}

test('weight zero points folded into int8 codes: no zero point left on a weight, the same outputs bit for bit', async () => {
  const model = withChannelZeroPoints();
  const r = zeroPointFreeWeightsPass().run(model);
  assert.ok(r.modified && (r.counts?.shifted ?? 0) > 0, JSON.stringify(r.counts));
  const inits = new Map(r.model.graph!.initializers.map((t) => [t.name, t]));
  for (const n of r.model.graph!.nodes) {
    if (n.opType === 'DequantizeLinear' && inits.has(n.inputs[0] ?? '')) assert.equal(n.inputs[2], undefined, 'no weight zero point');
  }
  assert.deepEqual(await outputs(modelToBytes(r.model)), await outputs(modelToBytes(model)));
  assert.ok(
    Array.from(
      toIntegers(inits.get(r.model.graph!.nodes.find((n) => n.opType === 'DequantizeLinear' && inits.has(n.inputs[0]!))!.inputs[0]!)!),
    ).some((v) => v > 7 || v < -8),
  );
});

test('yoloq convert --to ort-cpu writes what a yoloq session loads: plain ORT gives the same outputs bit for bit', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'yoloq-ort-cpu-'));
  try {
    for (const [name, model] of [
      ['int4', buildTinyDetector('int4')],
      ['qdq-zp', withChannelZeroPoints()],
    ] as const) {
      const src = join(dir, `${name}.onnx`);
      const out = join(dir, `${name}.ort-cpu.onnx`);
      writeFileSync(src, modelToBytes(model));
      const c = runCli(['convert', '--to', 'ort-cpu', src, '-o', out, '--json']);
      assert.equal(c.code, 0, c.stderr);
      assert.equal(JSON.parse(c.stdout).changed, true);
      const prepared = prepareModel(src);
      assert.ok(prepared.source instanceof Uint8Array, `${name}: yoloq prepares it`);
      assert.deepEqual(await outputs(out), await outputs(prepared.source), `${name}: converted file = yoloq's session`);
      assert.ok(!loadModel(out).graph!.initializers.some((t) => t.dtype === DataType.INT4), `${name}: no INT4 left`);
    }
    const bad = runCli(['convert', '--to', 'ort-cpu', join(dir, 'int4.onnx'), '-o', join(dir, 'x.onnx'), '--plan', join(dir, 'p.json')]);
    assert.ok(isCleanInputError(bad), bad.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
