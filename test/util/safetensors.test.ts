import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeSafetensors, encodeSafetensors, tensorFromNumbers, tensorToNumbers } from '../../src/util/safetensors.js';

test('safetensors: header length, 8-aligned JSON header, widest dtype first, no holes; read back exactly', () => {
  const bytes = encodeSafetensors(
    [
      ['codes', tensorFromNumbers('I8', [-8, 7, 0])],
      ['scales', tensorFromNumbers('F32', [0.5, 0.25])],
      ['exact', tensorFromNumbers('F64', [0.1])],
    ],
    { note: 'x' },
  );
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal((8 + n) % 8, 0);
  const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8'));
  assert.deepEqual(header, {
    __metadata__: { note: 'x' },
    exact: { dtype: 'F64', shape: [1], data_offsets: [0, 8] },
    scales: { dtype: 'F32', shape: [2], data_offsets: [8, 16] },
    codes: { dtype: 'I8', shape: [3], data_offsets: [16, 19] },
  });
  assert.equal(bytes.byteLength, 8 + n + 19);
  const { tensors, metadata } = decodeSafetensors(bytes);
  assert.deepEqual(metadata, { note: 'x' });
  assert.deepEqual(tensorToNumbers(tensors.get('codes')!), [-8, 7, 0]);
  assert.deepEqual(tensorToNumbers(tensors.get('scales')!), [0.5, 0.25]);
  assert.deepEqual(tensorToNumbers(tensors.get('exact')!), [0.1]);
});

test('safetensors: truncated data, a header past the end and bad JSON are errors that say so', () => {
  const bytes = encodeSafetensors([['a', tensorFromNumbers('F32', [1, 2, 3])]]);
  assert.throws(() => decodeSafetensors(bytes.subarray(0, bytes.length - 4)), /truncated/);
  assert.throws(() => decodeSafetensors(bytes.subarray(0, 12)), /runs past the end/);
  assert.throws(() => decodeSafetensors(bytes.subarray(0, 4)), /shorter than the 8-byte header/);
  const junk = Uint8Array.from(bytes);
  junk[8] = 0x41;
  assert.throws(() => decodeSafetensors(junk), /not JSON/);
  const extra = new Uint8Array(bytes.length + 4);
  extra.set(bytes);
  assert.throws(() => decodeSafetensors(extra), /its tensors cover/);
});
