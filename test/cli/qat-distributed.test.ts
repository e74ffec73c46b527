import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSplit } from '../../src/synthetic/dataset.js';
import { SAFETY_TIMEOUT_MS, isCleanInputError, type CliResult } from '../helpers/cli.js';
import { repoRoot } from '../helpers/paths.js';

/**
 * `yoloq qat --nproc-per-node/--nnodes/...` through the built CLI, with a stand-in interpreter ($YOLOQ_PYTHON, a shell
 * script) that records its command line, prints $FAKE_OUT and exits with $FAKE_CODE: the flags reach torchrun (via
 * yoloq_brevitas.launch) as given, a failed rank is one line and the launcher's exit code, bad values exit 2 first.
 */

const dir = mkdtempSync(join(tmpdir(), 'qat-ddp-'));
const fake = join(dir, 'python');
writeFileSync(
  fake,
  [
    '#!/bin/sh',
    'printf "%s\\n" "$@" > "$FAKE_ARGV"',
    '[ -n "$FAKE_OUT" ] && cat "$FAKE_OUT"',
    '[ -n "$FAKE_CODE" ] || FAKE_CODE=0',
    'exit "$FAKE_CODE"',
    '',
  ].join('\n'),
);
chmodSync(fake, 0o755);

function qat(args: string[], env: Record<string, string> = {}): CliResult {
  const r = spawnSync(process.execPath, [join(repoRoot, 'dist', 'src', 'cli', 'main.js'), 'qat', ...args], {
    cwd: dir,
    encoding: 'utf8',
    timeout: SAFETY_TIMEOUT_MS,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, YOLOQ_PYTHON: fake, FAKE_ARGV: join(dir, 'argv.txt'), ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const base = (out: string) => ['--model', 'yolov8n.yaml', '--imgsz', '64', '--images', join(dir, 'none'), '-o', join(dir, out)];

test('bad launch values exit 2 with one line, before any work', () => {
  const cases: Array<[string[], RegExp]> = [
    [['--nproc-per-node', '0'], /--nproc-per-node 0: expected an integer ≥ 1/],
    [['--nproc-per-node', 'two'], /--nproc-per-node two/],
    [['--nnodes', '0'], /--nnodes 0/],
    [['--nnodes', '2', '--node-rank', '2', '--master-addr', 'h'], /--node-rank 2: must be below --nnodes 2/],
    [['--nnodes', '2', '--node-rank=-1', '--master-addr', 'h'], /--node-rank -1: expected an integer ≥ 0/],
    [['--nnodes', '2'], /give --master-addr/],
    [['--nproc-per-node', '2', '--master-port', '70000'], /--master-port 70000: expected an integer ≥ 1 ≤ 65535/],
    [['--nproc-per-node', '3'], /--batch 4: the global batch must be a multiple of the 3 processes/],
    [['--nproc-per-node', '2', '--batch', '6', '--nnodes', '2', '--master-addr', 'h'], /--batch 6: .* 4 processes/],
    [['--nproc-per-node', '2', '--device', 'cuda:0'], /--device cuda:0/],
    [['--master-addr', 'h'], /--master-addr and --master-port need/],
  ];
  for (const [extra, message] of cases) {
    const r = qat([...base('bad.onnx'), ...extra]);
    assert.ok(isCleanInputError(r), `${extra.join(' ')}: ${r.code} ${r.stderr}`);
    assert.match(r.stderr, message);
  }
  assert.ok(!existsSync(join(dir, 'bad.work')), 'no work folder');
});

test('the flags reach torchrun through yoloq_brevitas.launch; a node other than 0 trains and writes no model', async () => {
  const split = await writeSplit({ root: join(dir, 'synth'), split: 'train', count: 2, seed: 1 });
  const out = join(dir, 'node1.onnx');
  const r = qat([
    ...['--model', 'yolov8n.yaml', '--imgsz', '64', '--images', split.images, '--count', '2', '--steps', '3', '-o', out],
    ...['--nproc-per-node', '2', '--nnodes', '2', '--node-rank', '1', '--master-addr', '10.1.2.3', '--master-port', '29511'],
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^node 1 of 2: its ranks finished QAT; node 0 writes the model/);
  const argv = readFileSync(join(dir, 'argv.txt'), 'utf8').trimEnd().split('\n');
  assert.deepEqual(argv.slice(0, 16), [
    ...['-m', 'yoloq_brevitas.launch', '--nnodes', '2', '--nproc-per-node', '2', '--node-rank', '1'],
    ...['--master-addr', '10.1.2.3', '--master-port', '29511', '--max-restarts', '0', '-m', 'yoloq_brevitas'],
  ]);
  const stage = argv.slice(16);
  assert.equal(stage[stage.indexOf('--batch') + 1], '4', 'the global batch is passed explicitly');
  assert.equal(stage[stage.indexOf('--steps') + 1], '3');
  assert.ok(!existsSync(out));
});

test('a failed rank: one line naming it, the launcher’s exit code, no output', () => {
  const out = join(dir, 'failed.onnx');
  const images = join(dir, 'synth', 'images', 'train');
  const args = ['--model', 'yolov8n.yaml', '--imgsz', '64', '--images', images, '--nproc-per-node', '2', '-o', out];
  const killed = join(dir, 'killed.jsonl');
  writeFileSync(
    killed,
    '{"event":"error","kind":"internal","message":"RuntimeError: Connection closed by peer"}\n' +
      '{"event":"error","kind":"internal","message":"rank 1 of 2 was killed by SIGKILL (exit code -9)"}\n',
  );
  let r = qat(args, { FAKE_OUT: killed, FAKE_CODE: '1' });
  assert.equal(r.code, 1, r.stderr);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /^yoloq: internal error: Brevitas stage failed: rank 1 of 2 was killed by SIGKILL \(exit code -9\)/);
  assert.equal(readFileSync(join(dir, 'argv.txt'), 'utf8').split('\n')[1], 'yoloq_brevitas.launch');
  const input = join(dir, 'input.jsonl');
  writeFileSync(input, '{"event":"error","kind":"input","message":"rank 0 of 2 exited with code 2: --data x: no images"}\n');
  r = qat(args, { FAKE_OUT: input, FAKE_CODE: '2' });
  assert.ok(isCleanInputError(r), r.stderr);
  assert.match(r.stderr, /rank 0 of 2 exited with code 2: --data x: no images/);
  assert.ok(!existsSync(out) && !existsSync(`${out.slice(0, -5)}.int4.onnx`));
});
