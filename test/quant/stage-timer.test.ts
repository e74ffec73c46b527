import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createStageTimer, formatStages, NO_TIMER, stagesInline } from '../../src/quant/stage-timer.js';

/** A clock the test advances by hand: stage seconds are exact. */
function fakeClock() {
  let t = 100;
  return { now: () => t, advance: (s: number) => void (t += s) };
}

test('stages are recorded in order with their seconds and images; a stage begun inside another nests in it', async () => {
  const clock = fakeClock();
  const timer = createStageTimer(clock.now);
  await timer.time('read model', async () => clock.advance(0.5));
  const out = await timer.time(
    'weights (gptq)',
    async () => {
      await timer.time('hessians', async () => clock.advance(3), { images: 64 });
      await timer.time('gptq', async () => {
        clock.advance(2);
        timer.addImages(0);
      });
      clock.advance(0.25);
      return 'decisions';
    },
    {},
  );
  await timer.time('sensitivity', async () => {
    timer.addImages(8);
    clock.advance(1);
  });
  assert.equal(out, 'decisions');
  assert.deepEqual(timer.stages(), [
    { name: 'read model', seconds: 0.5 },
    {
      name: 'weights (gptq)',
      seconds: 5.25,
      stages: [
        { name: 'hessians', seconds: 3, images: 64 },
        { name: 'gptq', seconds: 2, images: 0 },
      ],
    },
    { name: 'sensitivity', seconds: 1, images: 8 },
  ]);
  assert.deepEqual(formatStages(timer.stages()), [
    'read model 0.5 s',
    'weights (gptq) 5.3 s',
    '  hessians 3.0 s (64 images)',
    '  gptq 2.0 s (0 images)',
    'sensitivity 1.0 s (8 images)',
  ]);
  assert.equal(stagesInline(timer.stages()), 'read model 0.5 s, weights (gptq) 5.3 s [hessians 3.0 s, gptq 2.0 s], sensitivity 1.0 s');
});

test('a stage that throws is still timed and closed: the next stage is its sibling, not its child', async () => {
  const clock = fakeClock();
  const timer = createStageTimer(clock.now);
  await assert.rejects(
    timer.time('calibration', async () => {
      clock.advance(2);
      throw new Error('bad image');
    }),
    /bad image/,
  );
  await timer.time('export', async () => clock.advance(1));
  assert.deepEqual(
    timer.stages().map((s) => [s.name, s.seconds, s.stages]),
    [
      ['calibration', 2, undefined],
      ['export', 1, undefined],
    ],
  );
});

test('NO_TIMER runs the work and records nothing', async () => {
  assert.equal(await NO_TIMER.time('x', async () => 7), 7);
  NO_TIMER.addImages(3);
  assert.deepEqual(NO_TIMER.stages(), []);
});
