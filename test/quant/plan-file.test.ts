import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../src/errors.js';
import { buildTinyDetector } from '../../src/examples/tiny-detector.js';
import { toFloat32 } from '../../src/onnx/ir/tensor.js';
import { modelToBytes } from '../../src/onnx/serde/model-io.js';
import { planFromFiles, planToFiles, readPlanFiles, sidecarPath, writePlanFiles } from '../../src/quant/plan-file.js';
import { parsePlan, planToJson, type QuantPlan } from '../../src/quant/plan.js';
import { quantizeCodes } from '../../src/quant/weights/codes.js';
import { decodeSafetensors } from '../../src/util/safetensors.js';
import { applyPlan, makePlan } from '../../src/workflow/quantize.js';
import { isCleanInputError, runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'yoloq-plan-file-'));

/**
 * A W4A16 plan of the tiny detector with what the sidecar must carry exactly: GPTQ-style codes (round-to-nearest
 * moved by one step here and there; an odd count for the packed 4-bit layout), a bias of float64 values that are
 * not float32, a −0, and an equalization record.
 */
async function tinyPlan(): Promise<{ plan: QuantPlan; work: Awaited<ReturnType<typeof makePlan>>['work']; bytes: Uint8Array }> {
  const bytes = modelToBytes(buildTinyDetector('float'));
  const { plan, work } = await makePlan(bytes, { scheme: 'w4a16' });
  const inits = new Map(work.graph!.initializers.map((t) => [t.name, t]));
  for (const w of plan.weights) {
    const codes = quantizeCodes(toFloat32(inits.get(w.tensor)!), w.shape, w.granularity, w.scales, w.bits, w.narrow);
    const lim = 2 ** (w.bits - 1) - 1;
    for (let i = 0; i < codes.length; i += 7) codes[i] = Math.max(-lim, Math.min(lim, codes[i]! + (i % 2 ? 1 : -1)));
    w.codes = Buffer.from(codes.buffer, codes.byteOffset, codes.byteLength).toString('base64');
  }
  // The widest 4-bit Conv (16 channels: longer than the 8 numbers kept inline).
  const conv = plan.weights.filter((w) => w.bits === 4 && w.opType === 'Conv').sort((a, b) => b.shape[0]! - a.shape[0]!)[0]!;
  conv.bias = Array.from({ length: conv.shape[0]! }, (_, i) => (i === 0 ? -0 : 0.1 * i + 1e-12));
  plan.equalization = [];
  return { plan, work, bytes };
}

test('a plan through JSON + safetensors comes back exactly: the inline JSON byte for byte, and the same applied model', async () => {
  const { plan, work } = await tinyPlan();
  const files = planToFiles(plan, 'p.safetensors');
  const back = planFromFiles(files.json, join(dir, 'p.json'), () => files.sidecar);
  assert.equal(planToJson(back), planToJson(plan));
  // What `apply` reads from the inline file (JSON writes −0 as 0, and so does the sidecar).
  const inline = parsePlan(planToJson(plan));
  for (const format of ['int4', 'qcdq'] as const) {
    const a = modelToBytes(applyPlan(work, inline, { format }));
    const b = modelToBytes(applyPlan(work, back, { format }));
    assert.ok(Buffer.from(a).equals(Buffer.from(b)), format);
  }
  // Decisions stay readable in the JSON; the bulk is in the sidecar, 4-bit codes two per byte.
  const json = JSON.parse(files.json) as { sidecar: { bytes: number }; weights: Array<Record<string, unknown>> };
  assert.equal(json.sidecar.bytes, files.sidecar.byteLength);
  const w4 = plan.weights.findIndex((w) => w.bits === 4);
  const ref = json.weights[w4]!.codes as { sidecar: string; codes: string; count: number };
  assert.deepEqual(ref, { sidecar: `weights.${w4}.codes`, codes: 'int4', count: plan.weights[w4]!.shape.reduce((a, b) => a * b, 1) });
  const t = decodeSafetensors(files.sidecar).tensors;
  assert.equal(t.get(ref.sidecar)!.data.byteLength, Math.ceil(ref.count / 2));
  const biased = plan.weights.findIndex((w) => w.bias);
  assert.equal(t.get(`weights.${biased}.bias`)!.dtype, 'F64', 'values that are not float32 keep float64');
  assert.equal(t.get(`weights.${biased}.scales`)!.dtype, 'F32');
  assert.equal(t.get(`weights.${w4}.scales`), undefined, '8 scales stay inline');
  assert.deepEqual(json.weights[w4]!.shape, plan.weights[w4]!.shape, 'short arrays stay inline');
  // The same plan gives the same bytes.
  assert.deepEqual(planToFiles(plan, 'p.safetensors'), files);
});

test('a sidecar that is missing, truncated or of another plan is refused with one line; parsePlan says to read the pair', async () => {
  const { plan } = await tinyPlan();
  const path = join(dir, 'refused.plan.json');
  const written = writePlanFiles(path, plan);
  assert.equal(written.sidecar, join(dir, 'refused.plan.safetensors'));
  assert.equal(sidecarPath('a/b.json'), 'a/b.safetensors');
  assert.deepEqual(readPlanFiles(path), parsePlan(planToJson(plan)));
  const sidecar = readFileSync(written.sidecar);
  const other = planToFiles({ ...plan, weights: plan.weights.slice(1) }, 'x.safetensors').sidecar;
  const refuse = (bytes: Uint8Array | undefined, re: RegExp) =>
    assert.throws(
      () => planFromFiles(readFileSync(path, 'utf8'), path, () => bytes),
      (e) => e instanceof InputError && re.test(e.message) && !e.message.includes('\n'),
    );
  refuse(undefined, /sidecar .*refused\.plan\.safetensors is missing/);
  refuse(sidecar.subarray(0, sidecar.length - 10), /is truncated \(\d+ of \d+ bytes\)/);
  refuse(other, /does not match it \(SHA-256 .*\): it belongs to another plan/);
  assert.throws(
    () => parsePlan(readFileSync(path, 'utf8')),
    (e) => e instanceof InputError && /sidecar file "refused\.plan\.safetensors": read the pair with readPlanFiles/.test(e.message),
  );
  // An odd count of 4-bit codes (the last byte half used), and asymmetric codes down to −8.
  const odd: QuantPlan = {
    ...plan,
    weights: [
      {
        ...plan.weights[1]!,
        shape: [3, 1, 1, 1],
        scales: [0.1, 0.2, 0.3],
        narrow: false,
        zeroPoints: [0, -8, 7],
        codes: Buffer.from(Int8Array.from([-8, 7, -1]).buffer).toString('base64'),
      },
    ],
  };
  const oddFiles = planToFiles(odd, 'odd.safetensors');
  assert.equal(decodeSafetensors(oddFiles.sidecar).tensors.get('weights.0.codes')!.data.byteLength, 2);
  assert.equal(planToJson(planFromFiles(oddFiles.json, join(dir, 'odd.json'), () => oddFiles.sidecar)), planToJson(odd));
  // An inline (single-file) plan still reads, with or without readPlanFiles.
  writeFileSync(join(dir, 'inline.json'), planToJson(plan));
  assert.deepEqual(readPlanFiles(join(dir, 'inline.json')), parsePlan(planToJson(plan)));
});

test('yoloq apply: a missing or mismatched sidecar exits 2 with one line', async () => {
  const { plan, bytes } = await tinyPlan();
  const model = join(dir, 'tiny.onnx');
  writeFileSync(model, bytes);
  const path = join(dir, 'cli.plan.json');
  const { sidecar } = writePlanFiles(path, plan);
  const ok = runCli(['apply', '--plan', path, model, '--format', 'int4', '-o', join(dir, 'applied.onnx')]);
  assert.equal(ok.code, 0, ok.stderr);
  writeFileSync(sidecar, planToFiles({ ...plan, weights: plan.weights.slice(1) }, 'x').sidecar);
  const bad = runCli(['apply', '--plan', path, model, '-o', join(dir, 'never.onnx')]);
  assert.ok(isCleanInputError(bad), JSON.stringify(bad));
  assert.match(bad.stderr, /does not match it/);
  rmSync(sidecar);
  const gone = runCli(['apply', '--plan', path, model, '-o', join(dir, 'never.onnx')]);
  assert.ok(isCleanInputError(gone), JSON.stringify(gone));
  assert.match(gone.stderr, /is missing/);
});
