import { annotateShapes, type InferOptions } from '../shape/infer.js';
import { PassProperty, type Pass } from './pass.js';

/**
 * Add value_info for intermediate values that lack one, from static shape inference (src/onnx/shape). Existing
 * value_info is kept as is; nodes, inputs and outputs are untouched. Values inference knows nothing about get no
 * entry; values it knows only the dtype of get an entry without a shape.
 */
export function annotateShapesPass(options: InferOptions = {}): Pass {
  return {
    name: 'annotate-shapes',
    description: 'adds inferred shapes and dtypes as value_info for intermediate values that have none',
    ensures: [PassProperty.ShapesAnnotated],
    preserves: 'all',
    run(model) {
      const out = annotateShapes(model, options);
      return { model: out, modified: out !== model };
    },
  };
}
