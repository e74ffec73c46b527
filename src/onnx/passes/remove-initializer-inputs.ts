import { withGraph } from './graph-edges.js';
import { PassProperty, type Pass } from './pass.js';

/**
 * Drop graph inputs that share their name with an initializer (IR ≥ 4 models only).
 *
 * In IR ≥ 4 such an input is an overridable default: a caller may feed a value in place of the initializer, so
 * ONNX Runtime cannot treat it as a constant (it warns and skips constant folding and some fusions). Exporters
 * that list weights as inputs by habit (old PyTorch, keep_initializers_as_inputs=True) produce these.
 *
 * When it is safe, and what it changes:
 * - IR < 4, or no ir_version at all: nothing is done. IR-3 requires every initializer to be a graph input; taking
 *   them out would make an invalid model.
 * - Names in `keep` stay overridable (for models that really are fed, e.g. a runtime-tunable threshold).
 * - Everything else loses overridability: feeding such a name afterwards is an error. The model's required
 *   inputs, outputs and results with default values are unchanged.
 * Subgraph inputs are formal parameters, not overridable defaults, and are never touched.
 */

export interface RemoveInitializerInputsOptions {
  /** Input names to keep even though an initializer backs them. */
  keep?: Iterable<string>;
}

/** First IR version where initializers need not be graph inputs. */
const FIRST_IR_WITHOUT_REQUIRED_INPUTS = 4;

export function removeInitializerInputsPass(options: RemoveInitializerInputsOptions = {}): Pass {
  const keep = new Set(options.keep ?? []);
  return {
    name: 'remove-initializer-inputs',
    description: 'drops graph inputs that are backed by initializers, so runtimes can treat those as constants (IR ≥ 4)',
    ensures: [PassProperty.NoInitializerInputs],
    preserves: 'all',
    run(model) {
      const graph = model.graph;
      if (!graph || model.irVersion === undefined || model.irVersion < FIRST_IR_WITHOUT_REQUIRED_INPUTS) {
        return { model, modified: false };
      }
      const initializers = new Set(graph.initializers.map((t) => t.name));
      const inputs = graph.inputs.filter((v) => !initializers.has(v.name) || keep.has(v.name));
      if (inputs.length === graph.inputs.length) return { model, modified: false };
      return { model: withGraph(model, { ...graph, inputs }), modified: true };
    },
  };
}
