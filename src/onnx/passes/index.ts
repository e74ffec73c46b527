/** Graph passes: the Pass interface, the manager, and one pass per file. */
export { PassProperty, type Pass, type PassPropertyName, type PassResult } from './pass.js';
export { PassError, runPasses, type PassRecord, type RunPassesOptions, type RunPassesResult } from './pass-manager.js';
export { topologicalSortPass } from './topological-sort.js';
export { eliminateDeadNodesPass } from './eliminate-dead-nodes.js';
export { removeInitializerInputsPass, type RemoveInitializerInputsOptions } from './remove-initializer-inputs.js';
export { annotateShapesPass } from './annotate-shapes.js';
export { passByName, passFactories } from './registry.js';
