import { test } from 'node:test';
import { COMMANDS } from '../../src/cli/commands/index.js';

import assert from 'node:assert/strict';
import { helpText } from '../../src/cli/command.js';
import { DEFAULTS } from '../../src/pipeline/config.js';

const command = (name: string) => COMMANDS.find((c) => c.name === name)!;

/** The options a help line introduces: the flags before its description ("  --algo A, --budget B  …" → algo, budget). */
function introduced(line: string): string[] {
  const head = line.match(/^ {2}(-\S.*?)(?: {2,}|$)/)?.[1] ?? '';
  return [...head.matchAll(/--([a-z0-9-]+)/g)].map((m) => m[1]!);
}

test('help introduces each option on one line only', () => {
  for (const cmd of COMMANDS) {
    const seen = new Map<string, string>();
    for (const line of helpText(cmd).split('\n')) {
      for (const name of introduced(line)) {
        assert.ok(!seen.has(name), `yoloq ${cmd.name} --help introduces --${name} twice:\n${seen.get(name)}\n${line}`);
        seen.set(name, line);
      }
    }
  }
});

test('help names every option a command accepts (by its long or its short name)', () => {
  const missing: string[] = [];
  for (const cmd of COMMANDS) {
    const text = helpText(cmd);
    for (const [name, spec] of Object.entries(cmd.options)) {
      const named = new RegExp(`--${name}\\b`).test(text) || (spec.short !== undefined && text.includes(`-${spec.short} `));
      if (!named) missing.push(`yoloq ${cmd.name} --${name}`);
    }
  }
  assert.deepEqual(missing, []);
});

test("run --help gives the recipe's real default", () => {
  const line = helpText(command('run'))
    .split('\n')
    .find((l) => introduced(l).includes('recipe'))!;
  assert.equal(DEFAULTS.recipe, 'default');
  assert.match(line, /default \(the default/);
  assert.doesNotMatch(line, /none \([^)]*default\)/);
});

test('--strict is offered wherever images are read: quantize, eval, run, sensitivity', () => {
  for (const cmd of ['quantize', 'eval', 'run', 'sensitivity'].map(command)) {
    assert.deepEqual(cmd.options.strict, { type: 'boolean' }, cmd.name);
    assert.match(helpText(cmd), /--strict\s+an unreadable .*error \(exit 2\)/, cmd.name);
  }
});
