/**
 * Detections and the candidate buffer decoders fill before NMS. All boxes are corner form [x1, y1, x2, y2].
 */

/** One detection: a corner-form box, its score and its contiguous class index (0-based). */
export interface Detection {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  score: number;
  classIndex: number;
}

/** Read-only view of candidates: `boxes` is [count, 4] (x1, y1, x2, y2), `scores` and `classes` are [count]. */
export interface Candidates {
  readonly count: number;
  readonly boxes: Float32Array;
  readonly scores: Float32Array;
  readonly classes: Int32Array;
}

/** A growable set of candidates (amortised doubling). */
export class CandidateBuffer implements Candidates {
  count = 0;
  boxes: Float32Array;
  scores: Float32Array;
  classes: Int32Array;

  constructor(capacity = 1024) {
    this.boxes = new Float32Array(capacity * 4);
    this.scores = new Float32Array(capacity);
    this.classes = new Int32Array(capacity);
  }

  private grow(): void {
    const cap = this.scores.length * 2;
    const boxes = new Float32Array(cap * 4);
    boxes.set(this.boxes);
    const scores = new Float32Array(cap);
    scores.set(this.scores);
    const classes = new Int32Array(cap);
    classes.set(this.classes);
    this.boxes = boxes;
    this.scores = scores;
    this.classes = classes;
  }

  push(x1: number, y1: number, x2: number, y2: number, score: number, classIndex: number): void {
    if (this.count === this.scores.length) this.grow();
    const i = this.count++;
    this.boxes[i * 4] = x1;
    this.boxes[i * 4 + 1] = y1;
    this.boxes[i * 4 + 2] = x2;
    this.boxes[i * 4 + 3] = y2;
    this.scores[i] = score;
    this.classes[i] = classIndex;
  }
}

/** Where one anchor's class scores sit in a flat output: `data[base + k·stride]` for class k in [0, numClasses). */
export interface ClassScores {
  data: Float32Array;
  base: number;
  stride: number;
  numClasses: number;
}

/**
 * Add one anchor's candidates for a box given in centre form (cx, cy, w, h). Score of class k is
 * `objectness × cls[k]` (pass objectness 1 for families without one). Multi-label adds every class whose score
 * passes `conf` (ultralytics' validation); single-label adds only the best class (YOLOX's postprocess).
 * A score must be > conf to pass.
 */
export function pushAnchor(
  out: CandidateBuffer,
  cx: number,
  cy: number,
  w: number,
  h: number,
  objectness: number,
  cls: ClassScores,
  conf: number,
  multiLabel: boolean,
): void {
  const hw = w / 2;
  const hh = h / 2;
  const { data, base, stride, numClasses } = cls;
  if (multiLabel) {
    for (let k = 0; k < numClasses; k++) {
      const s = objectness * data[base + k * stride]!;
      if (s > conf) out.push(cx - hw, cy - hh, cx + hw, cy + hh, s, k);
    }
    return;
  }
  let best = 0;
  let bestScore = -Infinity;
  for (let k = 0; k < numClasses; k++) {
    const v = data[base + k * stride]!;
    if (v > bestScore) (bestScore = v), (best = k);
  }
  const s = objectness * bestScore;
  if (s > conf) out.push(cx - hw, cy - hh, cx + hw, cy + hh, s, best);
}

/** Detections for the given candidate indices, in that order. */
export function toDetections(c: Candidates, indices: ArrayLike<number>): Detection[] {
  const out: Detection[] = [];
  for (let j = 0; j < indices.length; j++) {
    const i = indices[j]!;
    out.push({
      x1: c.boxes[i * 4]!,
      y1: c.boxes[i * 4 + 1]!,
      x2: c.boxes[i * 4 + 2]!,
      y2: c.boxes[i * 4 + 3]!,
      score: c.scores[i]!,
      classIndex: c.classes[i]!,
    });
  }
  return out;
}
