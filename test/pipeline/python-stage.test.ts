import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probePython, pythonEnvOf, runPythonModule } from '../../src/pipeline/python-stage.js';
import { isInputError } from '../../src/errors.js';

/**
 * The run pipeline's view of the Python stage, on the one lookup ($YOLOQ_PYTHON here: a shell script standing in for
 * the interpreter, answering the probe with $FAKE_VERSIONS and `-m` runs with a result event naming its folder).
 */

const root = mkdtempSync(join(tmpdir(), 'python-stage-'));
mkdirSync(join(root, 'python'));
const fake = join(root, 'fake-python');
writeFileSync(
  fake,
  [
    '#!/bin/sh',
    'if [ "$1" = "-c" ]; then echo "some import warning" >&2; echo "$FAKE_VERSIONS"; exit "$((FAKE_CODE + 0))"; fi',
    'printf \'{"event":"progress","stage":"export","step":1,"total":1}\\n{"event":"result","onnx":"/o.onnx","argv":"%s","cwd":"%s"}\\n\' "$*" "$(pwd)"',
    '',
  ].join('\n'),
);
chmodSync(fake, 0o755);

function withFake<T>(vars: Record<string, string>, fn: () => T): T {
  const saved = { ...process.env };
  Object.assign(process.env, { YOLOQ_PYTHON: fake, ...vars });
  try {
    return fn();
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

test('the lookup is the one of src/brevitas, for <repoRoot>/python', () => {
  withFake({}, () => assert.deepEqual(pythonEnvOf(root), { python: fake, packageRoot: join(root, 'python'), installed: false }));
});

test('the probe reports versions, or why the stage cannot run', () => {
  const versions = { torch: '2.14.1', brevitas: '0.13.4', ultralytics: '8.4.190', yoloq_brevitas: '0.1.0' };
  withFake({ FAKE_VERSIONS: JSON.stringify(versions) }, () => assert.deepEqual(probePython(root), { ok: true, python: fake, versions }));
  withFake({ FAKE_VERSIONS: JSON.stringify({ ...versions, brevitas: 'missing: ModuleNotFoundError' }) }, () => {
    const p = probePython(root);
    assert.equal(p.ok, false);
    assert.equal(p.reason, 'the Python stage lacks brevitas (run bash python/install.sh)');
    assert.equal(p.versions.torch, '2.14.1');
  });
  withFake({ FAKE_VERSIONS: 'not json' }, () => assert.equal(probePython(root).reason, `${fake} printed no versions`));
  withFake({ FAKE_VERSIONS: '{}', FAKE_CODE: '1' }, () => assert.equal(probePython(root).reason, `${fake} failed: some import warning`));
  withFake({ YOLOQ_PYTHON: join(root, 'none') }, () => {
    assert.deepEqual(probePython(root), {
      ok: false,
      python: join(root, 'none'),
      versions: {},
      reason: `no Python stage installed (${join(root, 'none')} is missing; run bash python/install.sh)`,
    });
  });
});

test('runPythonModule runs a module from <repoRoot>/python through the one runner', async () => {
  const stages: string[] = [];
  const r = await withFake({}, () => runPythonModule(root, 'train_default.export_onnx', ['--out', 'o.onnx'], (e) => stages.push(e.stage)));
  assert.equal(r.onnx, '/o.onnx');
  assert.equal(r.argv, '-m train_default.export_onnx --out o.onnx');
  assert.equal(r.cwd, join(root, 'python'));
  assert.deepEqual(stages, ['export']);
  await withFake({ YOLOQ_PYTHON: join(root, 'none') }, () =>
    assert.rejects(runPythonModule(root, 'm', []), (e: unknown) => isInputError(e) && /cannot start/.test((e as Error).message)),
  );
});
