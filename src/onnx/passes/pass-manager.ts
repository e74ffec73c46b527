import { InputError, isInputError, oneLine } from '../../errors.js';
import type { Model } from '../ir/graph.js';
import type { Pass } from './pass.js';

/**
 * Runs passes in order. Before each pass, its `requires` are checked against the properties in force: those the
 * caller declares (`provided`) plus those earlier passes ensured, minus those a modifying pass did not preserve.
 * A failing pass is reported by name together with the passes that ran before it.
 */

export interface RunPassesOptions {
  /** Properties the caller knows the input model already has (e.g. 'topologically-sorted' for a checked model). */
  provided?: Iterable<string>;
}

export interface PassRecord {
  name: string;
  modified: boolean;
  /** Wall time of the pass, milliseconds. */
  ms: number;
  /** What the pass counted (its result's `counts`), when it counts anything. */
  counts?: Readonly<Record<string, number>>;
}

export interface RunPassesResult {
  model: Model;
  /** Whether any pass modified the model. */
  modified: boolean;
  /** One record per pass, in the order they ran. */
  ran: PassRecord[];
  /** Properties in force after the last pass. */
  properties: Set<string>;
}

/** A pass threw. `cause` is the original error. */
export class PassError extends Error {
  override readonly name = 'PassError';
  constructor(
    message: string,
    readonly passName: string,
    readonly ranBefore: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

function ranText(ran: readonly PassRecord[]): string {
  return ran.length === 0 ? 'no passes ran before it' : `after ${ran.map((r) => r.name).join(' → ')}`;
}

/** Properties in force after `pass` ran with result `modified`. */
function updateProperties(properties: Set<string>, pass: Pass, modified: boolean): Set<string> {
  let next = properties;
  if (modified && pass.preserves !== 'all') {
    const keep = new Set(pass.preserves ?? []);
    next = new Set([...properties].filter((p) => keep.has(p)));
  } else next = new Set(properties);
  for (const p of pass.ensures ?? []) next.add(p);
  return next;
}

/**
 * Run `passes` over `model` in order; returns the final model (the input model itself when no pass modified it).
 * Throws an Error naming the pass when a requirement is missing, and a PassError (an InputError when the cause
 * was one, e.g. a cyclic graph) naming the pass that failed and those that ran before it.
 */
export function runPasses(model: Model, passes: readonly Pass[], options: RunPassesOptions = {}): RunPassesResult {
  let properties = new Set(options.provided ?? []);
  const ran: PassRecord[] = [];
  let current = model;
  for (const pass of passes) {
    const missing = (pass.requires ?? []).filter((r) => !properties.has(r));
    if (missing.length > 0) {
      throw new Error(
        `pass "${pass.name}" requires ${missing.join(', ')}, which no earlier pass ensures (${ranText(ran)}); ` +
          'run a pass that ensures it first, or declare it in options.provided',
      );
    }
    const start = performance.now();
    let result;
    try {
      result = pass.run(current);
      if (!result || typeof result.model !== 'object' || result.model === null) throw new TypeError('run() returned no model');
    } catch (e) {
      const message = `pass "${pass.name}" failed (${ranText(ran)}): ${oneLine(e)}`;
      if (isInputError(e)) throw new InputError(message, { cause: e });
      throw new PassError(
        message,
        pass.name,
        ran.map((r) => r.name),
        { cause: e },
      );
    }
    ran.push({
      name: pass.name,
      modified: result.modified,
      ms: performance.now() - start,
      ...(result.counts ? { counts: result.counts } : {}),
    });
    properties = updateProperties(properties, pass, result.modified);
    current = result.model;
  }
  return { model: current, modified: ran.some((r) => r.modified), ran, properties };
}

/**
 * Run one pass through the manager and return the resulting model (the input itself when the pass changed
 * nothing): the short form for call sites that apply a single transform. Errors are those of `runPasses`.
 */
export function applyPass(model: Model, pass: Pass, options: RunPassesOptions = {}): Model {
  return runPasses(model, [pass], options).model;
}
