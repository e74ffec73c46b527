/**
 * Graph passes: the Pass interface, the manager, and one pass per file. graph-edges.ts is not a pass: it holds the
 * helpers passes share (outer-scope reads of subgraph bodies, replacing a model's graph).
 */
export { PassProperty, type Pass, type PassPropertyName, type PassResult } from './pass.js';
export { applyPass, PassError, runPasses, type PassRecord, type RunPassesOptions, type RunPassesResult } from './pass-manager.js';
export { topologicalSortPass } from './topological-sort.js';
export { eliminateDeadNodesPass } from './eliminate-dead-nodes.js';
export { removeInitializerInputsPass, type RemoveInitializerInputsOptions } from './remove-initializer-inputs.js';
export { annotateShapesPass } from './annotate-shapes.js';
export { upgradeOpsetPass, type UpgradeOpsetOptions } from './upgrade-opset.js';
export { floatPrecisionPass, scalesKeptFloat32, type PrecisionOptions } from './float-precision.js';
export { foldWeightDequantizePass, dequantizeConstant } from './fold-weight-dequantize.js';
export { shrinkBroadcastConstantsPass, constantAxes, type ShrinkBroadcastConstantsOptions } from './shrink-broadcast-constants.js';
export { passByName, passFactories } from './registry.js';
