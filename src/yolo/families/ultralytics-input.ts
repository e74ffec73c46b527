import type { LetterboxOptions } from '../preprocess.js';
import type { ModelInputSpec } from './types.js';

/** Ultralytics preprocessing (YOLOv5, YOLOv8/11, YOLOv10): RGB, /255, centred letterbox padded with 114, rounded size. */
export function ultralyticsLetterbox(input: ModelInputSpec): LetterboxOptions {
  return {
    width: input.width,
    height: input.height,
    placement: 'centre',
    padValue: 114,
    channelOrder: 'rgb',
    pixelRange: 'unit',
    dtype: input.dtype,
    sizeRounding: 'round',
  };
}
