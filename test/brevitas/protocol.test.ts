import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatProgress, parseEventLine } from '../../src/brevitas/protocol.js';

test('protocol lines parse into typed events', () => {
  const p = parseEventLine('{"event":"progress","stage":"qat","step":3,"total":10,"loss":0.5}');
  assert.deepEqual(p, { event: 'progress', stage: 'qat', step: 3, total: 10, loss: 0.5 });
  assert.equal(formatProgress(p as never), 'qat 3/10 loss 0.5000');
  assert.equal(parseEventLine('{"event":"result","onnx":"/x.onnx","scheme":"w4a8"}')?.event, 'result');
  assert.deepEqual(parseEventLine('{"event":"error","kind":"input","message":"no such file"}'), {
    event: 'error',
    kind: 'input',
    message: 'no such file',
  });
  assert.equal((parseEventLine('{"event":"error","message":"boom"}') as { kind: string }).kind, 'internal');
});

test('stray output is ignored, malformed protocol objects are errors', () => {
  for (const line of ['', 'Ultralytics 8.4 🚀', '{not json', '[1,2]', '{"x":1}', '{"event":"other"}'])
    assert.equal(parseEventLine(line), undefined, line);
  assert.throws(() => parseEventLine('{"event":"progress","stage":"qat"}'), TypeError);
  assert.throws(() => parseEventLine('{"event":"result"}'), TypeError);
});
