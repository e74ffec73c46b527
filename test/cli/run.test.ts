import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '../../src/cli/commands/run.js';
import { helpText, parseCommandArgs, type CommandIo } from '../../src/cli/command.js';
import { InputError } from '../../src/errors.js';

/** `yoloq run`'s command layer: help, and bad input refused with one InputError before anything is written. */

const dir = mkdtempSync(join(tmpdir(), 'yoloq-run-cli-'));
const io: CommandIo = { out: () => undefined, err: () => undefined, progress: () => undefined, note: () => undefined };

async function runArgs(argv: string[]): Promise<number> {
  return runCommand.run(parseCommandArgs(runCommand, argv), io);
}

test('help names every option of the issue', () => {
  const h = helpText(runCommand);
  for (const o of ['--config', '--model', '--coco', '--images', '--calib', '--variants', '--ep', '-o']) assert.ok(h.includes(o), o);
});

test('bad input: an InputError with one line, and no run folder', async () => {
  const out = join(dir, 'r');
  for (const argv of [
    ['--model', join(dir, 'm.onnx'), '-o', out],
    ['--variants', 'fp32,w3a8', '-o', out],
    ['--ep', 'tpu', '-o', out],
    ['--config', join(dir, 'missing.yaml'), '-o', out],
    ['--model', join(dir, 'missing.onnx'), '--coco', join(dir, 'i.json'), '--variants', 'fp32', '-o', out],
    ['stray', '-o', out],
  ]) {
    await assert.rejects(runArgs(argv), (e: unknown) => e instanceof InputError && !(e as Error).message.includes('\n'), argv.join(' '));
  }
  assert.ok(!existsSync(out), 'nothing is written');
});
