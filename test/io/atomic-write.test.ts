import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../src/errors.js';
import {
  checkDistinctPaths,
  checkOutputFolder,
  checkOutputPath,
  OutputBatch,
  parseTempName,
  sweepStaleTemps,
  tempPathFor,
  writeOutputs,
} from '../../src/io/atomic-write.js';

const dir = mkdtempSync(join(tmpdir(), 'yoloq-atomic-'));

/** The PID of a process that has exited (reaped by spawnSync). */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid!;
}

const isInput = (pattern: RegExp) => (e: unknown) => e instanceof InputError && pattern.test(e.message) && !e.message.includes('\n');

test('checkOutputPath: a folder, a trailing slash, a path through a file are refused; a missing folder is fine and not created', () => {
  const file = join(dir, 'a-file');
  writeFileSync(file, 'x');
  assert.throws(() => checkOutputPath(dir, '-o'), isInput(/is a folder/));
  assert.throws(() => checkOutputPath(`${dir}/sub/`, '-o'), isInput(/expected a file name/));
  assert.throws(() => checkOutputPath(join(file, 'q.onnx'), '-o'), isInput(/a-file is a file, not a folder/));
  assert.throws(() => checkOutputPath(join(file, 'deeper', 'q.onnx'), '--plan'), isInput(/--plan.*is a file, not a folder/));
  checkOutputPath(join(dir, 'new', 'deep', 'q.onnx'), '-o');
  assert.ok(!existsSync(join(dir, 'new')));
  assert.throws(() => checkOutputFolder(file, 'run folder'), isInput(/is a file, not a folder/));
  checkOutputFolder(join(dir, 'run-new'), 'run folder');
  assert.ok(!existsSync(join(dir, 'run-new')));
  assert.deepEqual(
    readdirSync(dir).filter((f) => parseTempName(f)),
    [],
    'the writability probe leaves nothing',
  );
});

test('checkOutputPath: an unwritable folder is one line naming the path and the cause', { skip: process.platform !== 'linux' }, () => {
  // sysfs takes no new files, even for root (access(2) would say it does).
  if (!existsSync('/sys/kernel')) return;
  assert.throws(
    () => checkOutputPath('/sys/kernel/yoloq-out.onnx', '-o'),
    isInput(/cannot write \/sys\/kernel\/yoloq-out\.onnx \(-o\): .*\(E[A-Z]+\)/),
  );
});

test('checkDistinctPaths: an output that is the input, or another output, is refused', () => {
  assert.throws(
    () =>
      checkDistinctPaths([
        ['--model', 'm.onnx'],
        ['-o', './m.onnx'],
      ]),
    isInput(/-o \.\/m\.onnx is the same file as --model m\.onnx/),
  );
  checkDistinctPaths([
    ['-o', 'a.onnx'],
    ['--plan', undefined],
  ]);
});

test('an OutputBatch writes all or nothing: a full disk on the second file leaves no output, no temp, no new folder', () => {
  const out = join(dir, 'batch', 'nested');
  assert.throws(
    () =>
      writeOutputs((b) => {
        b.add(join(out, 'model.onnx'), 'model bytes');
        b.addWith(join(out, 'plan.json'), () => {
          throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        });
      }),
    isInput(/cannot write .*plan\.json: no space left on device \(ENOSPC\)/),
  );
  assert.ok(!existsSync(join(dir, 'batch')), 'the folders the batch created are removed');
  writeOutputs((b) => {
    b.add(join(out, 'model.onnx'), 'model bytes');
    b.add(join(out, 'plan.json'), 'plan');
  });
  assert.deepEqual(readdirSync(out).sort(), ['model.onnx', 'plan.json']);
  assert.equal(readFileSync(join(out, 'plan.json'), 'utf8'), 'plan');
});

test('a bug inside a batch stays a bug (not an InputError), and still leaves no temporary file', () => {
  const out = join(dir, 'bug');
  mkdirSync(out);
  assert.throws(
    () =>
      writeOutputs((b) => {
        b.add(join(out, 'a.json'), '{}');
        throw new TypeError('a bug');
      }),
    (e: unknown) => e instanceof TypeError,
  );
  assert.deepEqual(readdirSync(out), []);
});

test('temp names: .NAME.yoloq-tmp-PID-N, recognised with the legacy .NAME.tmp-PID-TIME; nothing else is', () => {
  const t = tempPathFor(join(dir, 'q.onnx'));
  const name = t.slice(dir.length + 1);
  assert.match(name, /^\.q\.onnx\.yoloq-tmp-\d+-\d+$/);
  assert.deepEqual(parseTempName(name), { target: 'q.onnx', pid: process.pid });
  assert.deepEqual(parseTempName('.config.json.tmp-123-1733000000000'), { target: 'config.json', pid: 123 });
  for (const other of ['q.onnx', '.q.onnx', '.q.onnx.tmp', 'q.onnx.tmp-1-2', '.q.onnx.swp'])
    assert.equal(parseTempName(other), undefined, other);
});

test("a stale temp file (dead PID) is removed by the next write of the same output; a live process's and other names stay", () => {
  const out = join(dir, 'sweep');
  mkdirSync(join(out, 'metrics'), { recursive: true });
  const dead = deadPid();
  const stale = join(out, `.q.onnx.yoloq-tmp-${dead}-1`);
  const legacy = join(out, `.q.onnx.tmp-${dead}-1733000000000`);
  const live = join(out, `.q.onnx.yoloq-tmp-${process.pid}-999`);
  const otherName = join(out, `.plan.json.yoloq-tmp-${dead}-1`);
  const foreign = join(out, '.q.onnx.swp');
  for (const f of [stale, legacy, live, otherName, foreign]) writeFileSync(f, 'x');
  writeOutputs((b) => b.add(join(out, 'q.onnx'), 'new'));
  assert.ok(!existsSync(stale) && !existsSync(legacy), 'stale temps of q.onnx removed');
  assert.ok(existsSync(live) && existsSync(otherName) && existsSync(foreign), 'everything else kept');
  // A run folder sweep: every stale yoloq temp, in sub-folders too.
  const nested = join(out, 'metrics', `.w4a8.eval.json.tmp-${dead}-5`);
  writeFileSync(nested, 'x');
  const removed = sweepStaleTemps(out, { recursive: true });
  assert.deepEqual(removed.sort(), [nested, otherName].sort());
  assert.ok(existsSync(live) && existsSync(foreign));
  // The writability probe of a killed process goes too, with the next check of an output there.
  const probe = join(out, `.yoloq-probe.yoloq-tmp-${dead}-1`);
  writeFileSync(probe, '');
  checkOutputPath(join(out, 'next.onnx'), '-o');
  assert.ok(!existsSync(probe));
});

test('OutputBatch.discard removes what was staged', () => {
  const out = join(dir, 'commit');
  mkdirSync(out);
  const b = new OutputBatch();
  b.add(join(out, 'a.txt'), 'a');
  b.discard();
  assert.deepEqual(readdirSync(out), []);
});
