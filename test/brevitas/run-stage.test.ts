import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProgressEvent } from '../../src/brevitas/protocol.js';
import { runPythonStage } from '../../src/brevitas/run-stage.js';
import { SCHEME_TABLE, type PythonEnv } from '../../src/brevitas/venv.js';
import { isInputError } from '../../src/errors.js';
import { SCHEMES } from '../../src/quant/scheme.js';

/**
 * The one runner against a stand-in interpreter (a shell script): it prints $FAKE_OUT on stdout and $FAKE_ERR on
 * stderr, exits with $FAKE_CODE, and with FAKE_ECHO=1 reports its command line and environment as a result event.
 */

const dir = mkdtempSync(join(tmpdir(), 'run-stage-'));
const fake = join(dir, 'python');
writeFileSync(
  fake,
  [
    '#!/bin/sh',
    '[ -n "$FAKE_ERR" ] && cat "$FAKE_ERR" >&2',
    '[ -n "$FAKE_OUT" ] && cat "$FAKE_OUT"',
    'if [ "$FAKE_ECHO" = 1 ]; then',
    '  printf \'{"event":"result","onnx":"/x.onnx","argv":"%s","schemes":"%s","pythonpath":"%s","unbuffered":"%s","cwd":"%s"}\\n\' "$*" "$YOLOQ_SCHEMES" "$PYTHONPATH" "$PYTHONUNBUFFERED" "$(pwd)"',
    'fi',
    '[ -n "$FAKE_CODE" ] || FAKE_CODE=0',
    'exit "$FAKE_CODE"',
    '',
  ].join('\n'),
);
chmodSync(fake, 0o755);
const py: PythonEnv = { python: fake, packageRoot: join(dir, 'pkg'), installed: false };
let n = 0;
function file(text: string): string {
  const p = join(dir, `f${n++}.txt`);
  writeFileSync(p, text);
  return p;
}

test('progress goes to onProgress, stray lines and stderr to onLog, and the result event is returned', async () => {
  const progress: ProgressEvent[] = [];
  const log: string[] = [];
  const out = file(
    'Ultralytics 8.4 🚀\n{"event":"progress","stage":"qat","step":1,"total":2,"loss":0.5}\n{"event":"result","onnx":"/o.onnx","scheme":"w4a8"}\n',
  );
  const r = await runPythonStage(py, ['--model', 'm.onnx'], {
    env: { FAKE_OUT: out, FAKE_ERR: file('INFO loading\n') },
    onProgress: (e) => progress.push(e),
    onLog: (l) => log.push(l),
  });
  assert.deepEqual(r, { event: 'result', onnx: '/o.onnx', scheme: 'w4a8' });
  assert.deepEqual(progress, [{ event: 'progress', stage: 'qat', step: 1, total: 2, loss: 0.5 }]);
  assert.deepEqual(log.sort(), ['INFO loading', 'Ultralytics 8.4 🚀']);
});

test('the stage runs as python -m yoloq_brevitas with its package on PYTHONPATH and the one scheme table', async () => {
  const r = await runPythonStage(py, ['--steps', '2'], { env: { FAKE_ECHO: '1' } });
  assert.equal(r.argv, '-m yoloq_brevitas --steps 2');
  assert.equal((r.pythonpath as string).split(':')[0], py.packageRoot);
  assert.equal(r.unbuffered, '1');
  assert.equal(r.schemes, SCHEME_TABLE);
  const rows = (JSON.parse(readFileSync(SCHEME_TABLE, 'utf8')) as { schemes: unknown[] }).schemes;
  assert.deepEqual(
    rows,
    Object.values(SCHEMES).map((s) => ({ ...s })),
    'the table handed to Python is the one SCHEMES is built from',
  );
});

test('another module, in another folder', async () => {
  const r = await runPythonStage(py, ['--out', 'o.onnx'], { module: 'train_default.export_onnx', cwd: dir, env: { FAKE_ECHO: '1' } });
  assert.equal(r.argv, '-m train_default.export_onnx --out o.onnx');
  assert.equal(r.cwd, dir);
});

test("an input error event is an InputError with the stage's message on one line", async () => {
  const out = file('{"event":"error","kind":"input","message":"m.onnx:\\n  no such file"}\n');
  await assert.rejects(
    runPythonStage(py, [], { env: { FAKE_OUT: out, FAKE_CODE: '2' } }),
    (e: unknown) => isInputError(e) && (e as Error).message === 'm.onnx: no such file',
  );
});

test('an internal error event is an Error naming the stage', async () => {
  const out = file('{"event":"error","kind":"internal","message":"RuntimeError: boom"}\n');
  await assert.rejects(
    runPythonStage(py, [], { env: { FAKE_OUT: out, FAKE_CODE: '1' } }),
    (e: unknown) => !isInputError(e) && (e as Error).message === 'Brevitas stage failed: RuntimeError: boom',
  );
  await assert.rejects(
    runPythonStage(py, [], { module: 'train_default.export_onnx', env: { FAKE_OUT: out, FAKE_CODE: '1' } }),
    /^Error: python -m train_default\.export_onnx failed: RuntimeError: boom$/,
  );
});

test('a stage that dies without a result is an Error with its exit code and last stderr lines', async () => {
  const err = file('Traceback (most recent call last):\n  File "x.py"\nKilled\nRuntimeError: out of memory\n');
  await assert.rejects(
    runPythonStage(py, [], { env: { FAKE_ERR: err, FAKE_CODE: '3' } }),
    (e: unknown) =>
      !isInputError(e) &&
      (e as Error).message === 'Brevitas stage exited with code 3 and no result:   File "x.py" | Killed | RuntimeError: out of memory',
  );
  await assert.rejects(runPythonStage(py, [], { env: {} }), /exited with code 0 and no result$/);
});

test('an interpreter that cannot start is an InputError', async () => {
  await assert.rejects(
    runPythonStage({ ...py, python: join(dir, 'no-python') }, []),
    (e: unknown) => isInputError(e) && (e as Error).message.startsWith(`cannot start ${join(dir, 'no-python')}:`),
  );
});
