import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createProgressReporter, formatSeconds, progressMode, type ProgressMode } from '../../src/cli/progress.js';

/** A reporter on a fake clock: `at(t)` moves the clock, `text` is everything written to "stderr". */
function fake(mode: ProgressMode, columns?: number) {
  let t = 0;
  const chunks: string[] = [];
  const r = createProgressReporter({ mode, write: (s) => chunks.push(s), now: () => t, columns: () => columns });
  return {
    r,
    at(seconds: number) {
      t = seconds;
      return this;
    },
    get text() {
      return chunks.join('');
    },
    lines() {
      return chunks.join('').split('\n').filter(Boolean);
    },
  };
}

/** 64 units over 64 s, one per second, starting at t = 0; then a 1-second stage. */
function longThenShort(f: ReturnType<typeof fake>) {
  f.at(0).r.update('hessians', 0, 64);
  for (let i = 1; i <= 64; i++) f.at(i).r.update('hessians', i, 64);
  f.at(64.5).r.update('gptq', 1, 10);
  f.at(65).r.update('gptq', 10, 10);
  f.at(66).r.finish();
}

test('plain (stderr not a terminal): start after 2 s, a line per 10% or 10 s, end with seconds; short stages stay silent', () => {
  const f = fake('plain');
  longThenShort(f);
  const lines = f.lines();
  assert.equal(lines[0], 'hessians: started, 2/64 (2.0 s ago)');
  assert.equal(lines.at(-1), 'hessians: done 64/64 in 1 min 04 s');
  const middle = lines.slice(1, -1);
  // One line at each new tenth (7/64 is 10%, …, 58/64 is 90%): nine lines, each with an ETA.
  assert.equal(middle.length, 9, middle.join('\n'));
  assert.equal(middle[0], 'hessians 7/64 (10%), 7.0 s, ETA 57.0 s');
  assert.ok(
    middle.every((l) => /^hessians \d+\/64 \(\d+%\), [\d.]+ s|min, ETA/.test(l)),
    middle.join('\n'),
  );
  assert.ok(!f.text.includes('gptq'), 'a 1-second stage prints nothing');
  assert.ok(!f.text.includes('\r'), 'no terminal control characters in a log');
});

test('plain: a stage with few slow units gets a line every 10 s; an uncounted stage shows through tick()', () => {
  const f = fake('plain');
  f.at(0).r.update('correcting', 0, 4);
  f.at(1).r.tick();
  assert.equal(f.text, '', 'nothing before 2 s');
  f.at(2).r.tick();
  f.at(12).r.tick();
  f.at(13).r.tick();
  f.at(25).r.update('correcting', 1, 4);
  f.at(30).r.update('placement');
  f.at(33).r.tick();
  f.at(40).r.finish();
  assert.deepEqual(f.lines(), [
    'correcting: started, 0/4 (2.0 s ago)',
    'correcting 0/4 (0%), 12.0 s',
    'correcting 1/4 (25%), 25.0 s, ETA 1 min 15 s',
    'correcting: done 1/4 in 30.0 s',
    'placement: started (3.0 s ago)',
    'placement: done in 10.0 s',
  ]);
});

test('plain: a failed command drops the running stage without an end line; notes and errors print as they come', () => {
  const f = fake('plain');
  f.at(0).r.update('evaluating', 0, 100);
  f.at(5).r.update('evaluating', 3, 100);
  f.r.note('w4a8 build ran (3.1 s)');
  f.r.print('yoloq: cannot read a.jpg');
  f.at(6).r.finish({ failed: true });
  assert.deepEqual(f.lines(), ['evaluating: started, 3/100 (5.0 s ago)', 'w4a8 build ran (3.1 s)', 'yoloq: cannot read a.jpg']);
});

test('a stage that reports only after its first unit started when the work before it ended; a stage that ends (or fails) within 2 s of its first report prints nothing', () => {
  const f = fake('plain');
  f.at(0).r.update('hessians', 64, 64);
  f.at(10).r.update('sensitivity', 1, 50);
  assert.equal(f.text, '', 'shown only once reports have come for 2 s');
  f.at(12).r.update('sensitivity', 2, 50);
  assert.deepEqual(f.lines(), ['sensitivity: started, 2/50 (12.0 s ago)']);
});

test('json (--json): JSON-lines events on stderr with counts, elapsed and ETA; notes as events', () => {
  const f = fake('json');
  longThenShort(f);
  f.r.note('fp32 eval ran');
  const events = f.lines().map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(events[0], { event: 'stage-start', stage: 'hessians', done: 2, total: 64, elapsedS: 2 });
  assert.deepEqual(events[1], { event: 'progress', stage: 'hessians', done: 7, total: 64, elapsedS: 7, etaS: 57 });
  assert.deepEqual(events.at(-2), { event: 'stage-end', stage: 'hessians', done: 64, total: 64, elapsedS: 64, seconds: 64 });
  assert.deepEqual(events.at(-1), { event: 'note', text: 'fp32 eval ran' });
  assert.equal(events.filter((e) => e.event === 'progress').length, 9);
  assert.ok(!events.some((e) => e.stage === 'gptq'), 'a 1-second stage gives no events');
});

test('tty: one live line redrawn in place (at most every 0.1 s), cut to the terminal width, cleared at the end', () => {
  const f = fake('tty', 50);
  f.at(0).r.update('hessians', 0, 64);
  f.at(0.05).r.update('hessians', 1, 64); // within 0.1 s of the last draw: not redrawn
  f.at(2).r.update('hessians', 2, 64);
  f.at(4).r.update('hessians', 4, 64, 'loss 0.5');
  f.r.note('fp32 build ran');
  f.at(64).r.update('hessians', 64, 64);
  f.at(64.5).r.tick();
  f.r.finish();
  const frames = f.text.split('\r\x1b[K');
  assert.equal(frames[0], '');
  assert.deepEqual(frames.slice(1), [
    'hessians 0/64 (0%), 0.0 s',
    'hessians 2/64 (3%), 2.0 s, ETA 1 min 02 s',
    'hessians 4/64 (6%), 4.0 s, ETA 1 min 00 s, loss …',
    'fp32 build ran\n',
    'hessians 4/64 (6%), 4.0 s, ETA 1 min 00 s, loss …',
    'hessians 64/64 (100%), 1 min 04 s',
    '',
  ]);
  assert.ok(!f.text.includes('\n', f.text.indexOf('fp32 build ran\n') + 15), 'no newline outside the note');
});

test('tty: tick() redraws the elapsed time of a running stage', () => {
  const f = fake('tty');
  f.at(0).r.update('placement');
  f.at(3).r.tick();
  f.r.update('');
  assert.equal(f.text, '\r\x1b[Kplacement, 0.0 s\r\x1b[Kplacement, 3.0 s\r\x1b[K');
});

test('the mode follows --json, then whether stderr is a terminal; durations read as people write them', () => {
  assert.equal(progressMode({ isTTY: true }, true), 'json');
  assert.equal(progressMode({ isTTY: true }, false), 'tty');
  assert.equal(progressMode({}, false), 'plain');
  assert.deepEqual([formatSeconds(4.24), formatSeconds(65), formatSeconds(3725)], ['4.2 s', '1 min 05 s', '1 h 02 min']);
});

test('a failure within 2 s of the first report leaves stderr to the one error line, however late that report came', () => {
  const f = fake('plain');
  f.at(30).r.update('evaluating', 1, 2);
  f.at(30.5).r.update('evaluating', 2, 2);
  f.r.print('yoloq: none of the 2 evaluation images could be read');
  f.at(31).r.finish({ failed: true });
  assert.deepEqual(f.lines(), ['yoloq: none of the 2 evaluation images could be read']);
});
