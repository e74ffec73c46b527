/**
 * The detection stream of a COCO-size evaluation: a JSON-lines file that gets one line per image as soon as the
 * image is done, so memory never holds more than the detections themselves and an interrupted evaluation resumes
 * where it stopped.
 *
 *   line 1   {"format":"yoloq-eval-stream","version":1,"key":{model, set, options}}
 *   then     {"i":INDEX,"d":[[category_id,x,y,w,h,score],…]}      (optionally "warn": the decoder's warning)
 *            {"i":INDEX,"skip":"reason"}                            (an image that could not be read)
 *
 * INDEX is the image's position in the evaluation set; lines come in completion order (with several workers not
 * in index order), and readers order them by INDEX, so the final results do not depend on the order. The key
 * (model sha256 and size, the image list and ground truth hashes, the options that change detections) is what a
 * resume must match. A line cut short by a kill (no '\n' yet) is dropped on resume.
 */
import { closeSync, existsSync, ftruncateSync, openSync, rmSync, writeSync } from 'node:fs';
import { InputError, fileError } from '../errors.js';
import type { ImageOutcome } from '../yolo/predict.js';
import { DetectionColumnsBuilder, type DetectionColumns } from './coco/detection-columns.js';
import { forEachLine } from './line-reader.js';

export const STREAM_FORMAT = 'yoloq-eval-stream';

/** The detection stream beside a results file: `x.detections.json` → `x.detections.stream.jsonl`. */
export function streamPathFor(detectionsPath: string): string {
  return `${detectionsPath.replace(/\.json$/i, '')}.stream.jsonl`;
}

/** What must be equal for a stream to be continued. Plain JSON; compared by its JSON text. */
export interface StreamKey {
  model: { sha256: string; bytes: number };
  set: { images: number; paths: string; groundTruth: string };
  options: Record<string, unknown>;
}

/** What a stream file already holds (by image index). */
export interface StreamState {
  /** uint8 [images]: 1 when the image has a line. */
  done: Uint8Array;
  doneCount: number;
  skipped: Array<{ index: number; reason: string }>;
  damaged: Array<{ index: number; warning: string }>;
}

interface ImageLine {
  i: number;
  d?: number[][];
  skip?: string;
  warn?: string;
}

function parseLine(text: string, path: string, lineNo: number, images: number): ImageLine {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new InputError(`${path}: line ${lineNo} is not JSON; delete the file to start the evaluation over`);
  }
  const o = v as ImageLine;
  const ok =
    typeof o === 'object' &&
    o !== null &&
    Number.isInteger(o.i) &&
    o.i >= 0 &&
    o.i < images &&
    (typeof o.skip === 'string' || (Array.isArray(o.d) && o.d.every((r) => Array.isArray(r) && r.length === 6)));
  if (!ok) throw new InputError(`${path}: line ${lineNo} is not an image record; delete the file to start the evaluation over`);
  return o;
}

function readHeader(line: string, path: string): StreamKey {
  let v: { format?: unknown; version?: unknown; key?: StreamKey } | undefined;
  try {
    v = JSON.parse(line) as typeof v;
  } catch {
    v = undefined;
  }
  if (v?.format !== STREAM_FORMAT || v.version !== 1 || typeof v.key !== 'object')
    throw new InputError(`${path} is not a yoloq evaluation stream (its first line is not the stream header)`);
  return v.key;
}

/** Which part of two keys differs, for the refusal message. */
function difference(a: StreamKey, b: StreamKey): string {
  if (a.model.sha256 !== b.model.sha256 || a.model.bytes !== b.model.bytes) return 'another model';
  if (JSON.stringify(a.set) !== JSON.stringify(b.set)) return 'another evaluation set';
  const names = new Set([...Object.keys(a.options), ...Object.keys(b.options)]);
  const changed = [...names].filter((n) => JSON.stringify(a.options[n]) !== JSON.stringify(b.options[n]));
  return `other options (${changed.join(', ') || 'options'})`;
}

/**
 * Read a stream for resuming. Returns undefined when the file is missing, empty or has only a half-written
 * header; throws InputError when its key is not `key` (naming what differs) or a complete line is not a record.
 */
export function readStreamState(path: string, key: StreamKey, images: number): { state: StreamState; bytes: number } | undefined {
  if (!existsSync(path)) return undefined;
  const state: StreamState = { done: new Uint8Array(images), doneCount: 0, skipped: [], damaged: [] };
  let headerSeen = false;
  const bytes = forEachLine(path, (line, lineNo) => {
    if (lineNo === 1) {
      const found = readHeader(line, path);
      if (JSON.stringify(found) !== JSON.stringify(key))
        throw new InputError(`${path} was made for ${difference(found, key)}; delete it or leave out --resume to start over`);
      headerSeen = true;
      return;
    }
    const r = parseLine(line, path, lineNo, images);
    if (state.done[r.i] === 1) return;
    state.done[r.i] = 1;
    state.doneCount++;
    if (r.skip !== undefined) state.skipped.push({ index: r.i, reason: r.skip });
    if (r.warn !== undefined) state.damaged.push({ index: r.i, warning: r.warn });
  });
  return headerSeen ? { state, bytes } : undefined;
}

/** An open stream: `append` writes one image's line (synchronously, so a kill leaves at most one partial line). */
export class DetectionStream {
  private constructor(
    readonly path: string,
    private fd: number | undefined,
  ) {}

  static open(path: string, flags: 'w' | 'a', prepare: (fd: number) => void): DetectionStream {
    try {
      const fd = openSync(path, flags);
      prepare(fd);
      return new DetectionStream(path, fd);
    } catch (e) {
      throw fileError(e, 'write', path);
    }
  }

  /** Start a new stream at `path` (replacing any file there) with the header for `key`. */
  static create(path: string, key: StreamKey): DetectionStream {
    return DetectionStream.open(path, 'w', (fd) => writeSync(fd, `${JSON.stringify({ format: STREAM_FORMAT, version: 1, key })}\n`));
  }

  /** Continue a stream whose complete lines end at byte `bytes` (what `readStreamState` returned). */
  static resume(path: string, bytes: number): DetectionStream {
    // Appending mode: every write lands at the end, after the half-written tail is cut off.
    return DetectionStream.open(path, 'a', (fd) => ftruncateSync(fd, bytes));
  }

  append(o: ImageOutcome): void {
    if (this.fd === undefined) throw new Error('append to a closed detection stream');
    const rec: ImageLine = o.ok
      ? {
          i: o.index,
          d: o.detections.map((d) => [d.category_id, d.bbox[0], d.bbox[1], d.bbox[2], d.bbox[3], d.score]),
          ...(o.warning !== undefined ? { warn: o.warning } : {}),
        }
      : { i: o.index, skip: o.reason };
    const line = Buffer.from(`${JSON.stringify(rec)}\n`);
    try {
      writeSync(this.fd, line);
    } catch (e) {
      throw fileError(e, 'write', this.path);
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  /** Close and delete the file. */
  remove(): void {
    this.close();
    rmSync(this.path, { force: true });
  }
}

/**
 * Every detection of a stream, in image-index order (within an image, the detector's order), with image ids from
 * `imageIdOf(index)`. Memory: the detections twice over for a moment (read order, then index order).
 */
export function readStreamDetections(path: string, images: number, imageIdOf: (index: number) => number): DetectionColumns {
  const read = new DetectionColumnsBuilder(1 << 16);
  const start = new Float64Array(images).fill(-1);
  const count = new Int32Array(images);
  forEachLine(path, (line, lineNo) => {
    if (lineNo === 1) return;
    const r = parseLine(line, path, lineNo, images);
    if (start[r.i] !== -1 || r.d === undefined) return;
    start[r.i] = read.length;
    count[r.i] = r.d.length;
    const id = imageIdOf(r.i);
    for (const [c, x, y, w, h, s] of r.d) read.push(id, c!, x!, y!, w!, h!, s!);
  });
  const all = read.view();
  const ordered = new DetectionColumnsBuilder(all.length);
  for (let i = 0; i < images; i++) if (start[i]! >= 0) ordered.append(all, start[i]!, start[i]! + count[i]!);
  return ordered.finish();
}
