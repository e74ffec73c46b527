/**
 * The COCO data shapes the evaluator works on. They are defined in src/data/coco-types.ts (the readers produce
 * them, and src/data must not import src/eval); this module re-exports them under the evaluator's own path.
 */
export type { CocoAnnotation, CocoBox, CocoCategory, CocoDetection, CocoGroundTruth, CocoImage } from '../../data/coco-types.js';
