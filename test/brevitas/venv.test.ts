import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { STAGE_SCHEMES } from '../../src/brevitas/stage-args.js';
import { SCHEME_TABLE, findPython, pythonDir, stageEnv } from '../../src/brevitas/venv.js';
import { SCHEMES } from '../../src/quant/scheme.js';
import { SAFETY_TIMEOUT_MS } from '../helpers/cli.js';
import { repoRoot } from '../helpers/paths.js';

/** Runs `fn` with these environment variables set (undefined: unset), restoring them after. */
function withEnv<T>(vars: Record<string, string | undefined>, fn: () => T): T {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const apply = (v: Record<string, string | undefined>) => {
    for (const [k, x] of Object.entries(v)) {
      if (x === undefined) delete process.env[k];
      else process.env[k] = x;
    }
  };
  apply(vars);
  try {
    return fn();
  } finally {
    apply(saved);
  }
}

test('one interpreter lookup: $YOLOQ_PYTHON, else the venv install.sh makes ($YOLOQ_VENV or python/.venv)', () => {
  const dir = join(repoRoot, 'python');
  assert.equal(pythonDir(), dir);
  withEnv({ YOLOQ_PYTHON: undefined, YOLOQ_VENV: undefined }, () => {
    assert.deepEqual(findPython(), { python: join(dir, '.venv', 'bin', 'python'), packageRoot: dir, installed: false });
    assert.equal(findPython('/elsewhere/python').python, '/elsewhere/python/.venv/bin/python');
  });
  withEnv({ YOLOQ_PYTHON: undefined, YOLOQ_VENV: '/v' }, () => assert.equal(findPython(dir).python, '/v/bin/python'));
  withEnv({ YOLOQ_PYTHON: '/usr/bin/python3.11', YOLOQ_VENV: '/v' }, () => {
    assert.deepEqual(findPython(dir), { python: '/usr/bin/python3.11', packageRoot: dir, installed: false });
  });
});

test("the stage's environment: package on PYTHONPATH, unbuffered, offline, the scheme table", () => {
  withEnv({ PYTHONPATH: '/other', YOLO_OFFLINE: undefined }, () => {
    const env = stageEnv({ python: 'p', packageRoot: '/pkg', installed: false }, { EXTRA: '1' });
    assert.equal(env.PYTHONPATH, '/pkg:/other');
    assert.deepEqual([env.PYTHONUNBUFFERED, env.YOLO_OFFLINE, env.EXTRA, env.YOLOQ_SCHEMES], ['1', '1', '1', SCHEME_TABLE]);
  });
  withEnv({ YOLO_OFFLINE: '0' }, () => assert.equal(stageEnv({ python: 'p', packageRoot: '/pkg', installed: false }).YOLO_OFFLINE, '0'));
  assert.ok(existsSync(SCHEME_TABLE), SCHEME_TABLE);
});

const py = findPython();
const ready = existsSync(py.python) || `needs the Python venv (bash python/install.sh): ${py.python} is missing`;

test("Python reads the same scheme table through the runner's environment, and implements the rows stage-args offers", {
  skip: ready === true ? false : ready,
}, () => {
  const code =
    'import json, dataclasses\nfrom yoloq_brevitas import config\nprint(json.dumps({n: dataclasses.asdict(s) for n, s in config.SCHEMES.items()}))';
  const r = spawnSync(py.python, ['-c', code], { encoding: 'utf8', env: stageEnv(py), timeout: SAFETY_TIMEOUT_MS });
  assert.equal(r.status, 0, r.stderr);
  const python = JSON.parse(r.stdout) as Record<
    string,
    { name: string; weight_bits: number; kept_weight_bits: number; act_bits: number | null }
  >;
  assert.deepEqual(Object.keys(python), [...STAGE_SCHEMES]);
  for (const name of STAGE_SCHEMES) {
    const s = SCHEMES[name];
    assert.deepEqual(python[name], {
      name,
      weight_bits: s.weightBits,
      kept_weight_bits: s.keptWeightBits,
      act_bits: s.activations === 'int8' ? 8 : null,
    });
  }
});
