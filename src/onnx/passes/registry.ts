import { InputError } from '../../errors.js';
import { annotateShapesPass } from './annotate-shapes.js';
import { eliminateDeadNodesPass } from './eliminate-dead-nodes.js';
import { foldWeightDequantizePass } from './fold-weight-dequantize.js';
import type { Pass } from './pass.js';
import { removeInitializerInputsPass } from './remove-initializer-inputs.js';
import { shrinkBroadcastConstantsPass } from './shrink-broadcast-constants.js';
import { topologicalSortPass } from './topological-sort.js';

/**
 * The passes callers can name (CLI flags, pipeline configs): pass name → factory with default options. Passes
 * that have no sensible default (upgrade-opset needs a target opset, float-precision a source and target type)
 * are not listed; build them with their factories.
 */
export const passFactories: Readonly<Record<string, () => Pass>> = Object.freeze({
  'topological-sort': () => topologicalSortPass(),
  'eliminate-dead-nodes': () => eliminateDeadNodesPass(),
  'remove-initializer-inputs': () => removeInitializerInputsPass(),
  'annotate-shapes': () => annotateShapesPass(),
  'shrink-broadcast-constants': () => shrinkBroadcastConstantsPass(),
  'fold-weight-dequantize': () => foldWeightDequantizePass(),
});

/** The pass called `name`; throws an InputError listing the known names when there is none. */
export function passByName(name: string): Pass {
  const make = passFactories[name];
  if (!make) throw new InputError(`unknown pass "${name}"; known passes: ${Object.keys(passFactories).join(', ')}`);
  return make();
}
