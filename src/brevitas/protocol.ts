/**
 * The JSON-lines protocol of the Python stage (python/yoloq_brevitas/events.py; python/train_default speaks it too):
 * one object per stdout line, read by the one runner (run-stage.ts). `StageEvent` is the one event type, a union
 * discriminated by `event`:
 *   {"event":"progress","stage":"qat","step":3,"total":100,"loss":0.12,...}
 *   {"event":"result","onnx":"/abs/out.onnx",...}
 *   {"event":"error","kind":"input"|"internal","message":"..."}
 */

export interface ProgressEvent {
  event: 'progress';
  stage: string;
  step: number;
  total: number;
  /** Seconds since the stage started. */
  elapsed?: number;
  loss?: number;
  [key: string]: unknown;
}

export interface ResultEvent {
  event: 'result';
  /** Absolute path of the exported QCDQ ONNX model. */
  onnx: string;
  [key: string]: unknown;
}

export interface ErrorEvent {
  event: 'error';
  kind: 'input' | 'internal';
  message: string;
}

export type StageEvent = ProgressEvent | ResultEvent | ErrorEvent;

/**
 * One stdout line → event. Lines that are not a protocol object (blank, or stray text a library printed) give
 * undefined, so a noisy dependency can never crash the caller; a malformed protocol object is a TypeError.
 */
export function parseEventLine(line: string): StageEvent | undefined {
  const text = line.trim();
  if (!text.startsWith('{')) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null || !('event' in v)) return undefined;
  const e = v as Record<string, unknown>;
  switch (e.event) {
    case 'progress':
      if (typeof e.stage !== 'string' || typeof e.step !== 'number' || typeof e.total !== 'number')
        throw new TypeError(`bad progress event: ${text}`);
      return e as ProgressEvent;
    case 'result':
      if (typeof e.onnx !== 'string') throw new TypeError(`result event without onnx path: ${text}`);
      return e as ResultEvent;
    case 'error':
      if (typeof e.message !== 'string') throw new TypeError(`error event without message: ${text}`);
      return { event: 'error', kind: e.kind === 'input' ? 'input' : 'internal', message: e.message };
    default:
      return undefined;
  }
}

/** A progress event as one short line for a terminal: "qat 12/100 loss 0.1234". */
export function formatProgress(e: ProgressEvent): string {
  const loss = typeof e.loss === 'number' ? ` loss ${e.loss.toPrecision(4)}` : '';
  return `${e.stage} ${e.step}/${e.total}${loss}`;
}
