import { closeSync, openSync, writeSync } from 'node:fs';
import { writeOutputs } from '../io/atomic-write.js';
import type { DetectionColumns } from './coco/detection-columns.js';

/**
 * Write detections as a COCO results JSON (`[{"image_id","category_id","bbox","score"},…]`), in chunks so that a
 * COCO-size file never exists as one string, under a temporary name renamed into place at the end. The bytes are
 * those `JSON.stringify` gives for the same array of objects.
 */
export function writeCocoResultsFile(path: string, dets: DetectionColumns, chunk = 4096): void {
  const num = (v: number): string => (Number.isFinite(v) ? String(v) : 'null');
  writeOutputs((batch) =>
    batch.addWith(path, (tmp) => {
      const fd = openSync(tmp, 'wx');
      try {
        const { imageId, categoryId, box, score } = dets;
        for (let from = 0; from < dets.length || from === 0; from += chunk) {
          const parts: string[] = [];
          for (let n = from; n < Math.min(from + chunk, dets.length); n++)
            parts.push(
              `{"image_id":${num(imageId[n]!)},"category_id":${num(categoryId[n]!)},"bbox":[${num(box[4 * n]!)},${num(box[4 * n + 1]!)},${num(box[4 * n + 2]!)},${num(box[4 * n + 3]!)}],"score":${num(score[n]!)}}`,
            );
          writeSync(fd, `${from === 0 ? '[' : ','}${parts.join(',')}${from + chunk >= dets.length ? ']' : ''}`);
        }
      } finally {
        closeSync(fd);
      }
    }),
  );
}
