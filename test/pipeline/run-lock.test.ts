import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../src/errors.js';
import { LOCK_NAME, lockFolder } from '../../src/io/folder-lock.js';
import { resolveConfig } from '../../src/pipeline/config.js';
import { runPipeline } from '../../src/pipeline/run-pipeline.js';
import { isCleanInputError, runCli } from '../helpers/cli.js';
import { repoRoot } from '../helpers/paths.js';

/**
 * `yoloq run` and its folder: one process at a time (a second is told who holds it, or waits), and the temporary
 * files of a killed run are cleared on start. Every case stops at a missing model, right after the folder steps.
 */

const dir = mkdtempSync(join(tmpdir(), 'yoloq-run-lock-'));
const config = resolveConfig({ model: join(dir, 'missing.onnx'), coco: join(dir, 'i.json'), variants: 'fp32' });
const missingModel = (e: unknown) => e instanceof InputError && /model .*missing\.onnx does not exist/.test(e.message);

test('a second run on a held folder is refused, naming the process that holds it', async () => {
  const out = join(dir, 'held');
  const lock = await lockFolder(out, { command: 'yoloq run' });
  try {
    await assert.rejects(
      runPipeline({ config, output: out, repoRoot }),
      (e: unknown) => e instanceof InputError && e.message.includes(`in use by process ${process.pid}`),
    );
    // Through the CLI: exit 2 and one line, as for any bad input.
    const r = runCli(['run', '--model', join(dir, 'missing.onnx'), '--coco', join(dir, 'i.json'), '--variants', 'fp32', '-o', out]);
    assert.ok(isCleanInputError(r), JSON.stringify(r));
    assert.match(r.stderr, /is in use by process \d+ \(yoloq run\) since .*--wait/);
  } finally {
    lock.release();
  }
});

test('--wait: the run waits for the holder, then goes on', async () => {
  const out = join(dir, 'wait');
  const lock = await lockFolder(out);
  let waited = false;
  // The holder lets go when the run says it waits: no timing a slow machine could miss.
  const run = runPipeline({
    config,
    output: out,
    repoRoot,
    wait: true,
    onWait: () => {
      waited = true;
      lock.release();
    },
  });
  await assert.rejects(run, missingModel);
  assert.ok(waited);
});

test('on start a run removes the temporary files and the stale lock a killed run left, and nothing else', async () => {
  const out = join(dir, 'killed');
  mkdirSync(join(out, 'metrics'), { recursive: true });
  const dead = spawnSync(process.execPath, ['-e', '']).pid!;
  writeFileSync(join(out, LOCK_NAME), JSON.stringify({ pid: dead, host: hostname(), started: 'earlier' }));
  writeFileSync(join(out, `.config.json.tmp-${dead}-1733000000000`), '{');
  writeFileSync(join(out, 'metrics', `.fp32.eval.json.yoloq-tmp-${dead}-3`), '{');
  writeFileSync(join(out, 'metrics', 'fp32.eval.json'), '{}');
  await assert.rejects(runPipeline({ config, output: out, repoRoot }), missingModel);
  assert.deepEqual(readdirSync(out, { recursive: true }).sort(), ['metrics', join('metrics', 'fp32.eval.json')]);
});

test('a refused run leaves no run folder behind when it created it', async () => {
  const out = join(dir, 'fresh', 'run');
  await assert.rejects(runPipeline({ config, output: out, repoRoot }), missingModel);
  assert.ok(!existsSync(join(dir, 'fresh')));
});
