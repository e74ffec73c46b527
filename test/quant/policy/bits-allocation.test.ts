import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allocateBits, type AllocLayer } from '../../../src/quant/policy/bits-allocation.js';

/** A layer of `params` with ways (bits, noise); the last way is 8-bit. */
function layer(node: string, params: number, ways: Array<[number, number]>): AllocLayer {
  return { node, params, options: ways.map(([bits, noise], i) => ({ bits, noise, low: i < ways.length - 1 })) };
}

test('allocation: starts from the cheapest ways and buys the most noise removed per bit first', () => {
  // a: 100 → 120 bits removes 0.5 (0.025/bit); b: 100 → 110 removes 0.2 (0.02/bit); 8-bit moves cost 300+.
  const layers = [
    layer('a', 50, [
      [100, 1],
      [120, 0.5],
      [400, 0],
    ]),
    layer('b', 50, [
      [100, 1],
      [110, 0.8],
      [400, 0],
    ]),
  ];
  // 225 bits: both cheap (200), then a's step (+20); b's (+10) no longer fits... 230 allows both.
  assert.deepEqual(allocateBits(layers, { bits: 225, lowParams: 0 })!.choice, [1, 0]);
  const both = allocateBits(layers, { bits: 230, lowParams: 0 })!;
  assert.deepEqual(both.choice, [1, 1]);
  assert.equal(both.bits, 230);
  assert.ok(Math.abs(both.noise - 1.3) < 1e-12);
  // Enough bits for one 8-bit layer: b (0.8 removed for 290 bits beats a's 0.5 for 280); a's then no longer fits.
  const eight = allocateBits(layers, { bits: 600, lowParams: 0 })!;
  assert.deepEqual(eight.choice, [1, 2]);
  assert.equal(eight.lowParams, 50);
});

test('allocation: the 4-bit share limits 8-bit moves; an unreachable budget is undefined', () => {
  const layers = [
    layer('a', 50, [
      [100, 1],
      [400, 0],
    ]),
    layer('b', 50, [
      [100, 2],
      [400, 0],
    ]),
  ];
  // Bits for both at 8, but half the parameters must stay at 4 bits: only b (more noise) moves.
  const r = allocateBits(layers, { bits: 1000, lowParams: 50 })!;
  assert.deepEqual(r.choice, [0, 1]);
  assert.equal(r.lowParams, 50);
  assert.equal(allocateBits(layers, { bits: 199, lowParams: 0 }), undefined);
  assert.equal(allocateBits(layers, { bits: 1000, lowParams: 101 }), undefined);
});

test('allocation: a jump past a noisier middle way is taken when its slope is better; ties keep graph order', () => {
  // The middle way (110, 0.99) barely helps; the jump to (130, 0.1) removes 0.9 for 30 bits.
  const jump = allocateBits(
    [
      layer('a', 10, [
        [100, 1],
        [110, 0.99],
        [130, 0.1],
        [999, 0],
      ]),
    ],
    { bits: 130, lowParams: 10 },
  )!;
  assert.deepEqual(jump.choice, [2]);
  const tie = allocateBits(
    [
      layer('a', 10, [
        [100, 1],
        [110, 0.5],
        [999, 0],
      ]),
      layer('b', 10, [
        [100, 1],
        [110, 0.5],
        [999, 0],
      ]),
    ],
    {
      bits: 210,
      lowParams: 20,
    },
  )!;
  assert.deepEqual(tie.choice, [1, 0]);
});
