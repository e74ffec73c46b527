/**
 * The 80 COCO detection classes in the contiguous order YOLO models use (class index 0–79), and the 91-id
 * scheme of the COCO annotation files (ids 1–90 with gaps, from the 2014 paper's 91 categories).
 */

export const COCO80_NAMES: readonly string[] = Object.freeze([
  'person',
  'bicycle',
  'car',
  'motorcycle',
  'airplane',
  'bus',
  'train',
  'truck',
  'boat',
  'traffic light',
  'fire hydrant',
  'stop sign',
  'parking meter',
  'bench',
  'bird',
  'cat',
  'dog',
  'horse',
  'sheep',
  'cow',
  'elephant',
  'bear',
  'zebra',
  'giraffe',
  'backpack',
  'umbrella',
  'handbag',
  'tie',
  'suitcase',
  'frisbee',
  'skis',
  'snowboard',
  'sports ball',
  'kite',
  'baseball bat',
  'baseball glove',
  'skateboard',
  'surfboard',
  'tennis racket',
  'bottle',
  'wine glass',
  'cup',
  'fork',
  'knife',
  'spoon',
  'bowl',
  'banana',
  'apple',
  'sandwich',
  'orange',
  'broccoli',
  'carrot',
  'hot dog',
  'pizza',
  'donut',
  'cake',
  'chair',
  'couch',
  'potted plant',
  'bed',
  'dining table',
  'toilet',
  'tv',
  'laptop',
  'mouse',
  'remote',
  'keyboard',
  'cell phone',
  'microwave',
  'oven',
  'toaster',
  'sink',
  'refrigerator',
  'book',
  'clock',
  'vase',
  'scissors',
  'teddy bear',
  'hair drier',
  'toothbrush',
]);

/** COCO category id (1–90) of each contiguous class index 0–79. */
export const COCO80_TO_91: readonly number[] = Object.freeze([
  1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 27, 28, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41,
  42, 43, 44, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 67, 70, 72, 73, 74, 75, 76, 77, 78, 79, 80,
  81, 82, 84, 85, 86, 87, 88, 89, 90,
]);

/** COCO category id for a class index 0–79; throws RangeError otherwise. */
export function cocoCategoryId(classIndex: number): number {
  const id = COCO80_TO_91[classIndex];
  if (id === undefined) throw new RangeError(`class index ${classIndex} is outside COCO's 80 classes`);
  return id;
}

/** Class index 0–79 of a COCO category id, or undefined for ids that are not one of the 80 detection classes. */
export function cocoClassIndex(categoryId: number): number | undefined {
  const i = COCO80_TO_91.indexOf(categoryId);
  return i < 0 ? undefined : i;
}
