import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { SAFETY_TIMEOUT_MS } from '../helpers/cli.js';
import { repoRoot } from '../helpers/paths.js';

/**
 * `npx yoloq` runs package.json's bin file itself, not through `node`: it must stay executable after every build.
 * `npm run build` deletes dist/ and tsc writes files without the executable bit, so after the README's test command
 * its main command failed with "Permission denied" until the build script set the bit again.
 */
test('the bin file runs on its own after a build (what `npx yoloq` executes)', {
  skip: process.platform === 'win32' ? 'no executable bit on Windows' : false,
}, () => {
  const r = spawnSync(join(repoRoot, 'dist', 'src', 'cli', 'main.js'), ['--help'], { encoding: 'utf8', timeout: SAFETY_TIMEOUT_MS });
  assert.equal(r.error, undefined, String(r.error));
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^yoloq — /);
});
