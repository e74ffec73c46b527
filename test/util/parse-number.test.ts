import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStrictNumber } from '../../src/util/parse-number.js';

test('strict numbers: decimal only — no hex, binary, padding, empty string or Infinity', () => {
  for (const bad of ['0x2', '0b1', '0o7', ' 2 ', '2 ', '', ' ', 'Infinity', 'NaN', '1_000', '2,5', '--1']) {
    assert.equal(parseStrictNumber(bad), undefined, JSON.stringify(bad));
  }
  assert.equal(parseStrictNumber('0.5'), 0.5);
  assert.equal(parseStrictNumber('.5'), 0.5);
  assert.equal(parseStrictNumber('1e-3'), 0.001);
  assert.equal(parseStrictNumber('-3'), -3);
});

test('strict integers: digits only (a count written 1e3 or 2.0 is refused)', () => {
  for (const bad of ['1e3', '2.0', '2.', '0x10', '+', '99999999999999999999']) {
    assert.equal(parseStrictNumber(bad, { integer: true }), undefined, bad);
  }
  assert.equal(parseStrictNumber('17', { integer: true }), 17);
  assert.equal(parseStrictNumber('+4', { integer: true }), 4);
});
