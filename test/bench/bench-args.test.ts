import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchUsage, leadingDocComment } from '../../bench/bench-args.js';

const distBench = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench');

test('leadingDocComment: the first doc block without its comment markers', () => {
  const src = "import x from 'y';\n/**\n * Times a thing.\n *   node dist/bench/t.js [--n 3]\n */\nconst a = 1;\n/** later */\n";
  assert.equal(leadingDocComment(src), 'Times a thing.\n  node dist/bench/t.js [--n 3]');
  assert.equal(leadingDocComment('const a = 1;'), '');
});

test('benchUsage lists every option with its default', () => {
  const u = benchUsage('Doc.', { runs: { type: 'string', default: '5' }, plain: { type: 'boolean' } });
  assert.equal(u, 'Doc.\n\nOptions:\n  --runs <value>  (default 5)\n  --plain\n  --help');
});

// The compiled serde bench: cheap to start, and it must neither run nor crash on these arguments.
test('a bench script: --help prints its usage and exits 0; an unknown option exits 2 with one line, before any work', () => {
  const script = join(distBench, 'serde.js');
  const help = spawnSync(process.execPath, [script, '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /Load and save times of a ~60 MB ONNX model/);
  assert.match(help.stdout, /--runs <value> {2}\(default 5\)/);
  const bad = spawnSync(process.execPath, [script, '--rnus', '3'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.equal(bad.stdout, '', 'nothing ran');
  assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
  assert.match(bad.stderr, /^error: .*--rnus.*\(see --help\)/);
});

test('every bench script handles --help through bench-args (none runs its full workload when asked for help)', () => {
  const sources = resolve(distBench, '..', '..', 'bench');
  for (const f of readdirSync(sources).filter((n) => n.endsWith('.ts') && n !== 'bench-args.ts')) {
    const text = readFileSync(join(sources, f), 'utf8');
    assert.match(text, /benchArgs\(import\.meta\.url/, `${f} parses its arguments with benchArgs`);
    assert.doesNotMatch(text, /process\.argv/, `${f} reads process.argv directly`);
  }
});
