import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTinyDetector } from '../../src/examples/tiny-detector.js';
import { modelToBytes } from '../../src/onnx/serde/model-io.js';
import { seededRandom } from '../../src/quant/rounding.js';
import { isCleanInputError, runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'yoloq-cli-'));
const good = join(dir, 'qcdq.onnx');
writeFileSync(good, modelToBytes(buildTinyDetector('qcdq')));

function badFiles(): Record<string, string> {
  const bytes = readFileSync(good);
  const rnd = seededRandom(11);
  const cyclic = buildTinyDetector('float');
  const nodes = cyclic.graph!.nodes;
  nodes.find((n) => n.name === 'stem')!.inputs[0] = nodes.find((n) => n.name === 'down.silu')!.outputs[0]!;
  const files: Record<string, Uint8Array> = {
    truncated: bytes.subarray(0, Math.floor(bytes.length / 2)),
    random: Uint8Array.from({ length: 4096 }, () => Math.floor(rnd() * 256)),
    empty: new Uint8Array(0),
    cycle: modelToBytes(cyclic),
  };
  return Object.fromEntries(
    Object.entries(files).map(([k, v]) => {
      const p = join(dir, `${k}.onnx`);
      writeFileSync(p, v);
      return [k, p];
    }),
  );
}

test('inspect --json and check --json print parseable results for a valid model', () => {
  const r = runCli(['inspect', good, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.equal(report.conv.percentAt4Bits, 100);
  const c = runCli(['check', good, '--json']);
  assert.equal(c.code, 0, c.stderr);
  assert.equal(JSON.parse(c.stdout).errors, 0);
});

test('inspect prints the 4-bit share in text mode', () => {
  const r = runCli(['inspect', good]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /100\.0% of Conv weight parameters at 4 bits/);
  assert.match(r.stdout, /per-channel\(axis 0\)/);
});

test('bad input to inspect and check: one stderr line, exit 2, no stack trace', () => {
  const files = { ...badFiles(), missing: join(dir, 'does-not-exist.onnx'), directory: dir };
  for (const cmd of ['inspect', 'check']) {
    for (const [kind, path] of Object.entries(files)) {
      const r = runCli([cmd, path]);
      assert.ok(isCleanInputError(r), `${cmd} ${kind}: code ${r.code}, stderr ${JSON.stringify(r.stderr)}`);
    }
  }
});

test('usage errors: unknown command, unknown option, missing argument all exit 2 with one line', () => {
  for (const args of [['frobnicate'], ['inspect', '--bogus', good], ['inspect'], ['check', good, good]]) {
    const r = runCli(args);
    assert.ok(isCleanInputError(r), `${args.join(' ')}: ${JSON.stringify(r)}`);
  }
});

test('--help works for the tool and for every command', () => {
  const top = runCli(['--help']);
  assert.equal(top.code, 0);
  const commands = [...top.stdout.matchAll(/^ {2}([a-z-]+) {2,}/gm)].map((m) => m[1]!);
  assert.ok(commands.includes('inspect') && commands.includes('check'), top.stdout);
  for (const c of commands) {
    const r = runCli([c, '--help']);
    assert.equal(r.code, 0, c);
    assert.match(r.stdout, new RegExp(`^yoloq ${c} — `));
    assert.match(r.stdout, /--json/);
  }
});
