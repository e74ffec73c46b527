import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../src/errors.js';
import { LOCK_NAME, lockFolder } from '../../src/io/folder-lock.js';

const dir = mkdtempSync(join(tmpdir(), 'yoloq-lock-'));

function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid!;
}

test('a held folder: the second taker is told who holds it (one line); after release it is free', async () => {
  const d = join(dir, 'held');
  const lock = await lockFolder(d, { what: 'run folder', command: 'yoloq run' });
  assert.ok(existsSync(join(d, LOCK_NAME)));
  await assert.rejects(
    lockFolder(d, { what: 'run folder' }),
    (e: unknown) =>
      e instanceof InputError &&
      new RegExp(`run folder .*held is in use by process ${process.pid} \\(yoloq run\\) since .*--wait`).test(e.message),
  );
  lock.release();
  lock.release();
  assert.ok(!existsSync(d), 'the folder the lock created is removed again when nothing else was written');
  const again = await lockFolder(d);
  again.release();
});

test('a lock whose process is gone is stale and taken over; so is a lock file that is not one', async () => {
  const d = join(dir, 'stale');
  mkdirSync(d);
  writeFileSync(join(d, LOCK_NAME), JSON.stringify({ pid: deadPid(), host: hostname(), started: 'then' }));
  const lock = await lockFolder(d);
  lock.release();
  writeFileSync(join(d, LOCK_NAME), 'garbage');
  (await lockFolder(d)).release();
  assert.deepEqual(readdirSync(d), [], 'no lock and no temporary file left');
});

test('--wait: a second taker waits for the holder, then takes the folder', async () => {
  const d = join(dir, 'wait');
  const first = await lockFolder(d);
  // No sleeping: the holder lets go only once the second taker has said it waits, however slow the machine.
  let waitedFor: number | undefined;
  let waiting!: () => void;
  const saidItWaits = new Promise<void>((r) => (waiting = r));
  const second = lockFolder(d, {
    wait: true,
    pollMs: 10,
    onWait: (h) => {
      waitedFor = h.pid;
      waiting();
    },
  });
  await saidItWaits;
  assert.equal(waitedFor, process.pid);
  first.release();
  const got = await second;
  assert.ok(existsSync(got.path));
  got.release();
});

test('a lock held by a live process of another host is not taken over', async () => {
  const d = join(dir, 'remote');
  mkdirSync(d);
  writeFileSync(join(d, LOCK_NAME), JSON.stringify({ pid: deadPid(), host: `${hostname()}-elsewhere`, started: 'now' }));
  await assert.rejects(lockFolder(d), (e: unknown) => e instanceof InputError && /elsewhere/.test(e.message));
});
