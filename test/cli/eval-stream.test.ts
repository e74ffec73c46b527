import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluateModel } from '../../src/eval/evaluate-model.js';
import { writeSplit } from '../../src/synthetic/dataset.js';
import { isCleanInputError, runCli } from '../helpers/cli.js';
import { repoRoot } from '../helpers/paths.js';

/** `yoloq eval` streaming: resume after an interruption, a refused mismatched resume, --workers. */

const dir = mkdtempSync(join(tmpdir(), 'yoloq-eval-stream-'));
const model = join(repoRoot, 'assets', 'default', 'shapes-yolov10.onnx');
const splitReady = writeSplit({ root: dir, split: 'val', count: 6, seed: 5 });

async function evalArgs(out: string, ...more: string[]): Promise<string[]> {
  const split = await splitReady;
  return ['eval', '--model', model, '--coco', split.instances, '--images', split.images, '--threads', '1', '--detections', out, ...more];
}

/** A full stream of the same evaluation, as an interrupted run would have begun it. */
async function fullStream(path: string): Promise<string[]> {
  const split = await splitReady;
  await evaluateModel(
    model,
    { coco: split.instances, images: split.images },
    { threads: 1, stream: path, keepStream: true, postprocess: { confThreshold: 0.001, iouThreshold: 0.65, maxDetections: 300 } },
  );
  return readFileSync(path, 'utf8').split('\n');
}

test('eval --workers 2 writes the same bytes as --workers 1, and leaves no stream behind', async () => {
  const one = join(dir, 'w1.json');
  const two = join(dir, 'w2.json');
  const r1 = runCli(await evalArgs(one, '--json'));
  assert.equal(r1.code, 0, r1.stderr);
  const r2 = runCli(await evalArgs(two, '--workers', '2', '--json'));
  assert.equal(r2.code, 0, r2.stderr);
  assert.equal(readFileSync(two, 'utf8'), readFileSync(one, 'utf8'));
  const j = JSON.parse(r2.stdout);
  assert.equal(j.workers, 2);
  assert.ok(j.imagesPerSecond > 0 && j.images === 6 && j.detectionCount > 0);
  assert.deepEqual(j.statsArray, JSON.parse(r1.stdout).statsArray);
  assert.ok(!existsSync(join(dir, 'w1.stream.jsonl')) && !existsSync(join(dir, 'w2.stream.jsonl')));
});

test('eval --resume after an interruption (a half-written last line) gives the uninterrupted bytes', async () => {
  const whole = join(dir, 'whole.json');
  assert.equal(runCli(await evalArgs(whole)).code, 0);
  const stream = join(dir, 'cut.stream.jsonl');
  const lines = await fullStream(stream);
  // Header and three images complete, the fourth cut mid-line: what a kill during a write leaves.
  writeFileSync(stream, `${lines.slice(0, 4).join('\n')}\n${lines[4]!.slice(0, 9)}`);
  const out = join(dir, 'cut.json');
  const r = runCli(await evalArgs(out, '--stream', stream, '--resume', '--json'));
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /resuming .*cut\.stream\.jsonl: 3 of 6 images already done/);
  assert.equal(JSON.parse(r.stdout).resumed, 3);
  assert.equal(readFileSync(out, 'utf8'), readFileSync(whole, 'utf8'));
  assert.ok(!existsSync(stream));
});

test('eval --resume of a stream made with other options: one line, exit 2, the stream left as it was', async () => {
  const stream = join(dir, 'other.stream.jsonl');
  await fullStream(stream);
  const before = readFileSync(stream, 'utf8');
  const r = runCli(await evalArgs(join(dir, 'other.json'), '--stream', stream, '--resume', '--conf', '0.5'));
  assert.ok(isCleanInputError(r), JSON.stringify(r));
  assert.match(r.stderr, /was made for other options \(postprocess\)/);
  assert.equal(readFileSync(stream, 'utf8'), before);
  assert.ok(!existsSync(join(dir, 'other.json')));
});

test('eval --workers out of range is refused with one line', async () => {
  assert.ok(isCleanInputError(runCli(await evalArgs(join(dir, 'x.json'), '--workers', '0'))));
});

test('a failed evaluation with no image to resume from leaves no stream behind', async () => {
  const gt = join(dir, 'missing.json');
  writeFileSync(
    gt,
    JSON.stringify({
      images: [{ id: 1, file_name: 'nowhere.jpg', width: 64, height: 48 }],
      annotations: [],
      categories: [{ id: 1, name: 'circle' }],
    }),
  );
  const r = runCli(['eval', '--model', model, '--coco', gt, '--images', dir, '--detections', join(dir, 'missing.det.json')]);
  assert.ok(isCleanInputError(r), JSON.stringify(r));
  assert.ok(!existsSync(join(dir, 'missing.det.stream.jsonl')) && !existsSync(join(dir, 'missing.det.json')));
});
