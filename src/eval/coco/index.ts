/** Public surface of the COCO bbox evaluator. */
export { evaluateCoco, type CocoEvalResult } from './coco-eval.js';
export { accumulate, type CocoAccumulated, type PrecisionDims } from './accumulate.js';
export { DetectionColumnsBuilder, toDetectionColumns, type DetectionColumns } from './detection-columns.js';
export { evaluateImages, type CocoEvalImages } from './evaluate.js';
export { boxIou, boxIouMatrix } from './iou.js';
export { defaultCocoParams, linspace, resolveCocoParams, type AreaRange, type CocoParams, type ResolvedCocoParams } from './params.js';
export { perClassAp, type CocoClassAp } from './per-class.js';
export { COCO_STAT_NAMES, formatSummary, summarize } from './summarize.js';
export type { CocoAnnotation, CocoBox, CocoCategory, CocoDetection, CocoGroundTruth, CocoImage } from './types.js';
