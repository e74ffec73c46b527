import { test } from 'node:test';
import { COMMANDS } from '../../src/cli/commands/index.js';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { buildTinyDetector } from '../../src/examples/tiny-detector.js';
import { inspectModel } from '../../src/inspect/inspect-model.js';
import { loadModel, modelToBytes } from '../../src/onnx/serde/model-io.js';
import { seededRandom } from '../../src/util/seeded-random.js';
import { parseCommandArgs } from '../../src/cli/command.js';
import { runCli } from '../helpers/cli.js';
import { repoRoot } from '../helpers/paths.js';

/**
 * The README's "Use it on a real model" commands, read from README.md itself so the README cannot drift from the
 * CLI: every line parses against its command's options, and the quantize → apply pair and the convert line run as
 * written in a folder holding the files they name — model.onnx (the tiny example detector), calib-images/ (a few
 * generated images) and brevitas-qcdq.onnx (the example in QCDQ form). `run`, `eval` and `bench` need a YOLO family
 * and a COCO set, and `inspect`/`check` are cheap enough to be run by their own tests (test/cli/*.test.ts).
 */

const RUN = new Set(['quantize', 'apply', 'convert']);

/** The command lines of the README section's indented code block, `npx yoloq` and trailing comments removed. */
function readmeCommands(): string[][] {
  const md = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const start = md.indexOf('\n## Use it on a real model');
  assert.ok(start >= 0, 'README.md has a "Use it on a real model" section');
  const section = md.slice(start + 1).split(/\n## /)[0]!;
  return section
    .split('\n')
    .filter((l) => /^ {4}npx yoloq /.test(l))
    .map((l) =>
      l
        .trim()
        .replace(/\s+#.*$/, '')
        .split(/\s+/)
        .slice(2),
    );
}

async function fixtures(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'yoloq-readme-'));
  writeFileSync(join(dir, 'model.onnx'), modelToBytes(buildTinyDetector('float')));
  writeFileSync(join(dir, 'brevitas-qcdq.onnx'), modelToBytes(buildTinyDetector('qcdq')));
  mkdirSync(join(dir, 'calib-images'));
  const rnd = seededRandom(5);
  for (let i = 0; i < 4; i++) {
    const pixels = Buffer.from(Array.from({ length: 40 * 48 * 3 }, () => Math.floor(rnd() * 256)));
    await sharp(pixels, { raw: { width: 48, height: 40, channels: 3 } })
      .png()
      .toFile(join(dir, 'calib-images', `${i}.png`));
  }
  return dir;
}

test('every README command line parses against its command: no unknown option, no missing value', () => {
  const commands = readmeCommands();
  assert.ok(commands.length >= 8, JSON.stringify(commands));
  for (const [name, ...argv] of commands) {
    const cmd = COMMANDS.find((c) => c.name === name);
    assert.ok(cmd, `README runs yoloq ${name}, which the test does not know`);
    assert.doesNotThrow(() => parseCommandArgs(cmd, argv), `yoloq ${name} ${argv.join(' ')}`);
  }
});

test("the README's quantize → apply and convert lines run as written, and write the files they name", async () => {
  const commands = readmeCommands();
  const names = commands.map((c) => c[0]);
  for (const needed of ['quantize', 'apply', 'convert']) assert.ok(names.includes(needed), `README runs ${needed}`);
  const quantize = commands.find((c) => c[0] === 'quantize')!;
  assert.ok(quantize.includes('--plan') && quantize.includes('int4'), quantize.join(' '));
  const apply = commands.find((c) => c[0] === 'apply')!;
  assert.ok(apply.includes('--plan') && apply.includes('int4-cuda'), apply.join(' '));
  const dir = await fixtures();
  for (const argv of commands.filter((c) => RUN.has(c[0]!))) {
    const r = runCli(argv, { cwd: dir });
    assert.equal(r.code, 0, `yoloq ${argv.join(' ')}\n${r.stderr}`);
    const o = argv.indexOf('-o');
    if (o >= 0) assert.ok(existsSync(join(dir, argv[o + 1]!)), `yoloq ${argv.join(' ')} wrote ${argv[o + 1]}`);
    for (const flag of ['--plan', '--float'])
      if (argv[0] !== 'apply' && argv.includes(flag)) assert.ok(existsSync(join(dir, argv[argv.indexOf(flag) + 1]!)), flag);
  }
  // The applied file is the CUDA EP's INT4 layout of the same plan: its 4-bit share is the quantized file's.
  const shares = [quantize, apply].map((c) => inspectModel(loadModel(join(dir, c[c.indexOf('-o') + 1]!))).conv.percentAt4Bits);
  assert.ok(shares[0]! > 0, JSON.stringify(shares));
  assert.equal(shares[1], shares[0]);
});
