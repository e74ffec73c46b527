/** Static shape and dtype inference: see infer.ts for the algorithm and registry.ts for the ops covered. */
export { annotateShapes, inferShapes, inferShapesWithValues, missingValueInfo } from './infer.js';
export type { InferOptions, InferenceResult } from './infer.js';
export { shapeRules, supportedOps } from './registry.js';
export { constRules } from './const-rules.js';
export type { ConstRule, ConstValue, RuleContext, ShapeInfo, ShapeMap, ShapeRule } from './types.js';
export { broadcastShapes, formatShape } from './dims.js';
