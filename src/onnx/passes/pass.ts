import type { Model } from '../ir/graph.js';

/**
 * A graph pass: one transformation of a model, in one file, declaring what it needs and what it guarantees.
 *
 * Passes never edit the model they are given: a pass that changes something returns a new Model whose changed
 * containers (graph, node list, initializer list, …) are new arrays; unchanged nodes and tensors may be shared.
 * A pass that changes nothing returns the same model object with `modified: false`.
 */

/** Named properties passes require and ensure. Free-form strings are allowed too; these are the ones we use. */
export const PassProperty = Object.freeze({
  /** Every node comes after the producers of its inputs. */
  TopologicallySorted: 'topologically-sorted',
  /** Every node contributes to a graph output; every initializer is read. */
  NoDeadNodes: 'no-dead-nodes',
  /** No graph input shares its name with an initializer (IR ≥ 4 models only). */
  NoInitializerInputs: 'no-initializer-inputs',
  /** Intermediate values have value_info wherever shape inference could say something. */
  ShapesAnnotated: 'shapes-annotated',
});
export type PassPropertyName = (typeof PassProperty)[keyof typeof PassProperty];

export interface PassResult {
  model: Model;
  modified: boolean;
  /**
   * How many things of each kind the pass changed, for reports (e.g. `{ folded: 3, toInt8: 2 }`); the pass
   * manager keeps it in the pass's record. Each pass documents its keys.
   */
  counts?: Readonly<Record<string, number>>;
}

export interface Pass {
  /** kebab-case, unique among passes. */
  readonly name: string;
  /** One sentence for listings and error messages. */
  readonly description: string;
  /** Properties that must hold before the pass runs (ensured by an earlier pass, or declared by the caller). */
  readonly requires?: readonly string[];
  /** Properties that hold after the pass runs. */
  readonly ensures?: readonly string[];
  /**
   * Properties that still hold after a run that modified the model ('all': the pass breaks none). Default: none —
   * a modifying run invalidates everything earlier passes ensured except what it ensures itself.
   */
  readonly preserves?: readonly string[] | 'all';
  run(model: Model): PassResult;
}
