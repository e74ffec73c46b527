import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyError, fileError, InputError } from '../src/errors.js';

const sysError = (code: string, message: string) => Object.assign(new Error(message), { code });

test('one error policy: user and environment errors exit 2 with one line; anything else is an internal error', () => {
  assert.deepEqual(classifyError(new InputError('bad --scheme')), { exitCode: 2, line: 'bad --scheme' });
  for (const code of ['EROFS', 'ENOSPC', 'EACCES', 'ENOTDIR', 'EISDIR', 'EEXIST', 'EDQUOT']) {
    const r = classifyError(sysError(code, `${code}: something, open '/x/y.onnx'`));
    assert.equal(r.exitCode, 2, code);
    assert.ok(r.line.includes('/x/y.onnx') && r.line.includes(code), r.line);
  }
  const bug = classifyError(new TypeError("Cannot read properties of undefined (reading 'images')"));
  assert.equal(bug.exitCode, 1);
  assert.match(bug.line, /^internal error: /);
  assert.equal(classifyError(sysError('ERR_SOMETHING', 'x')).exitCode, 1, 'a code that is not the environment is still a bug');
});

test('fileError: the path, the cause in words and the code; other errors pass through unchanged', () => {
  const e = fileError(sysError('ENOSPC', 'ENOSPC: no space left on device, write'), 'write', 'out/q.onnx');
  assert.ok(e instanceof InputError);
  assert.equal((e as Error).message, 'cannot write out/q.onnx: no space left on device (ENOSPC)');
  const bug = new RangeError('x');
  assert.equal(fileError(bug, 'write', 'p'), bug);
});
