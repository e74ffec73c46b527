import type { CommandIo } from './command.js';

/**
 * How the CLI shows progress on stderr, in the three places a command runs:
 *
 * - `tty`: stderr is a terminal — one live line, redrawn in place (`\r`, erase line), cleared at the end.
 * - `plain`: stderr is a file or a pipe (CI, `2> log`, `| tee`) — plain lines: once a stage has been reporting for
 *   `quietSeconds` (2 s) its start, then a line every 10 s and at each 10% of its count, then its end with seconds.
 *   Stages that finish sooner print nothing, so a quick command (or a bad-input error) keeps a clean stderr.
 * - `json`: `--json` (stdout is the result) — the same lines as JSON-lines events on stderr:
 *   `{"event":"stage-start"|"progress"|"stage-end","stage","done","total","elapsedS","etaS"?,"seconds"?}` and
 *   `{"event":"note","text"}`.
 *
 * Counts come from the library's `(stage, done, total)` calls (src/util/progress.ts). The clock and the writer are
 * injected, so the three modes are tested with a fake clock; `tick()` is what a timer calls between updates (the
 * start line of a stage that stopped reporting, the 10 s lines, the live line's elapsed time).
 */

export type ProgressMode = 'tty' | 'plain' | 'json';

export interface ProgressReporterOptions {
  mode: ProgressMode;
  /** Raw stderr text (lines end in \n; the live line does not). */
  write: (text: string) => void;
  /** Monotonic seconds. */
  now: () => number;
  /** Terminal width, to keep the live line on one row. */
  columns?: () => number | undefined;
  /** Plain and json modes: a stage shows once it has run this long (default 2 s). */
  quietSeconds?: number;
  /** Plain and json modes: a progress line at least this often while a stage runs (default 10 s). */
  everySeconds?: number;
}

export interface ProgressReporter {
  /**
   * `done` of `total` (0: not counted) units of `stage`; a new name ends the previous stage, '' ends the current one
   * and clears the live line (before a command prints its result).
   */
  update(stage: string, done?: number, total?: number, detail?: string): void;
  /** A line of the record (e.g. "w4a8 build ran (3.1 s)"): text, or a note event in json mode. */
  note(text: string): void;
  /** A raw stderr line (an error message), written as is in every mode; the live line is redrawn under it. */
  print(text: string): void;
  /** Called by a timer: shows what the passing time changed (see the module comment). */
  tick(): void;
  /** Ends the current stage (dropped without an end line when the command failed) and clears the live line. */
  finish(options?: { failed?: boolean }): void;
}

interface Stage {
  name: string;
  /** When the work began (see update); elapsed times and ETAs count from here. */
  start: number;
  /** When the first report came: a stage shows once reports have come for `quietSeconds`. */
  seen: number;
  done: number;
  total: number;
  detail?: string;
  /** Plain/json: the start line was written. */
  shown: boolean;
  lastLine: number;
  lastDecile: number;
}

/** 4.2 s, 1 min 05 s, 1 h 02 min. */
export function formatSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(Math.floor(s % 60)).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/** Seconds left at the rate so far; undefined before there is a rate to go by. */
function eta(st: Stage, elapsed: number): number | undefined {
  if (st.total <= 0 || st.done <= 0 || st.done >= st.total || elapsed < 1) return undefined;
  return (elapsed * (st.total - st.done)) / st.done;
}

function counts(st: Stage): string {
  if (st.total <= 0) return st.done > 0 ? ` ${st.done}` : '';
  return ` ${st.done}/${st.total} (${Math.floor((100 * st.done) / st.total)}%)`;
}

function statusText(st: Stage, elapsed: number): string {
  const left = eta(st, elapsed);
  return `${st.name}${counts(st)}, ${formatSeconds(elapsed)}${left !== undefined ? `, ETA ${formatSeconds(left)}` : ''}${st.detail ? `, ${st.detail}` : ''}`;
}

export function createProgressReporter(o: ProgressReporterOptions): ProgressReporter {
  const quiet = o.quietSeconds ?? 2;
  const every = o.everySeconds ?? 10;
  let cur: Stage | undefined;
  let lastEvent = o.now();
  let live = '';
  let lastDraw = -Infinity;

  const line = (text: string) => o.write(`${text}\n`);
  const event = (e: Record<string, unknown>) => line(JSON.stringify(e));
  const clearLive = () => {
    if (live) o.write('\r\x1b[K');
    live = '';
  };
  const draw = (now: number) => {
    if (!cur) return;
    // A terminal that reports no width (0, as a bare pty does) gets 100 columns.
    const width = Math.max(20, (o.columns?.() || 100) - 1);
    const text = statusText(cur, now - cur.start);
    live = text.length > width ? `${text.slice(0, width - 1)}…` : text;
    o.write(`\r\x1b[K${live}`);
    lastDraw = now;
  };
  const fields = (st: Stage, now: number) => ({
    stage: st.name,
    done: st.done,
    total: st.total,
    elapsedS: round1(now - st.start),
    ...(st.detail ? { detail: st.detail } : {}),
  });

  /**
   * Plain/json: the start line once reports have come for `quiet` seconds — so a stage that ends (or a command that
   * fails) within 2 s of its first report never prints, however long the work before that report took.
   */
  const show = (now: number) => {
    if (!cur || cur.shown || now - cur.seen < quiet) return;
    cur.shown = true;
    cur.lastLine = now;
    cur.lastDecile = cur.total > 0 ? Math.floor((10 * cur.done) / cur.total) : 0;
    if (o.mode === 'json') event({ event: 'stage-start', ...fields(cur, now) });
    else line(`${cur.name}: started${cur.total > 0 ? `, ${cur.done}/${cur.total}` : ''} (${formatSeconds(now - cur.start)} ago)`);
  };
  /** Plain/json: a progress line every `every` seconds and at each new tenth of the count. */
  const periodic = (now: number) => {
    if (!cur?.shown) return;
    const decile = cur.total > 0 ? Math.floor((10 * cur.done) / cur.total) : 0;
    if (now - cur.lastLine < every && decile <= cur.lastDecile) return;
    cur.lastLine = now;
    cur.lastDecile = Math.max(decile, cur.lastDecile);
    const elapsed = now - cur.start;
    if (o.mode === 'json') {
      const left = eta(cur, elapsed);
      event({ event: 'progress', ...fields(cur, now), ...(left !== undefined ? { etaS: round1(left) } : {}) });
    } else line(statusText(cur, elapsed));
  };
  const end = (now: number) => {
    if (!cur) return;
    const st = cur;
    cur = undefined;
    if (o.mode === 'tty' || (!st.shown && now - st.seen < quiet)) return;
    const seconds = now - st.start;
    if (o.mode === 'json') event({ event: 'stage-end', ...fields(st, now), seconds: round1(seconds) });
    else line(`${st.name}: done${st.total > 0 ? ` ${st.done}/${st.total}` : ''} in ${formatSeconds(seconds)}`);
  };

  const print = (text: string) => {
    const redraw = o.mode === 'tty' && live !== '';
    clearLive();
    line(text);
    if (redraw) draw(o.now());
  };
  return {
    update(stage, done = 0, total = 0, detail) {
      const now = o.now();
      if (cur && cur.name !== stage) end(now);
      if (stage === '') {
        lastEvent = now;
        clearLive();
        return;
      }
      if (!cur) {
        // A stage that reports only after its first unit began when the work before it ended.
        cur = { name: stage, start: done > 0 ? lastEvent : now, seen: now, done, total, shown: false, lastLine: now, lastDecile: 0 };
        lastDraw = -Infinity;
      }
      cur.done = done;
      cur.total = total;
      if (detail !== undefined) cur.detail = detail;
      else delete cur.detail;
      lastEvent = now;
      const finished = total > 0 && done >= total;
      if (o.mode === 'tty') {
        if (finished || now - lastDraw >= 0.1) draw(now);
      } else {
        show(now);
        if (!finished) periodic(now);
      }
      if (finished) end(now);
    },
    note(text) {
      const now = o.now();
      lastEvent = now;
      if (o.mode === 'json') event({ event: 'note', text });
      else print(text);
    },
    print,
    tick() {
      const now = o.now();
      if (o.mode === 'tty') {
        if (cur && live !== '') draw(now);
        return;
      }
      show(now);
      periodic(now);
    },
    finish(options = {}) {
      const now = o.now();
      if (options.failed) cur = undefined;
      end(now);
      lastEvent = now;
      clearLive();
    },
  };
}

/** The mode for a stream: json under --json, tty when it is a terminal, else plain. */
export function progressMode(stream: { isTTY?: boolean }, json: boolean): ProgressMode {
  return json ? 'json' : stream.isTTY ? 'tty' : 'plain';
}

/**
 * The real command io: stdout for results, stderr for errors, notes and progress (rendered by a reporter ticked
 * once a second by an unref'd timer, so it never keeps the process alive). `finish` ends the progress.
 */
export function terminalIo(json: boolean): CommandIo & { finish(options?: { failed?: boolean }): void } {
  const reporter = createProgressReporter({
    mode: progressMode(process.stderr, json),
    write: (t) => process.stderr.write(t),
    now: () => performance.now() / 1000,
    columns: () => process.stderr.columns,
  });
  const timer = setInterval(() => reporter.tick(), 1000);
  timer.unref();
  return {
    out: (t) => process.stdout.write(`${t}\n`),
    err: (t) => reporter.print(t),
    progress: (stage, done, total, detail) => reporter.update(stage, done, total, detail),
    note: (t) => reporter.note(t),
    finish: (options) => {
      clearInterval(timer);
      reporter.finish(options);
    },
  };
}
