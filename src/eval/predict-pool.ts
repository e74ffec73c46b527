/**
 * `--workers N`: predictions from N ORT sessions at once, each in its own worker thread with its own share of the
 * intra-op threads, fed from one task queue in the parent. Outcomes arrive in completion order (the caller orders
 * them: the detection stream is keyed by image index). One worker runs `predictEach` in this thread, as before.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { InputError } from '../errors.js';
import { predictEach, type ImageOutcome, type PredictEachOptions, type PredictModelInfo, type PredictTask } from '../yolo/predict.js';

/** What a worker thread is started with (structured-cloned). */
export interface WorkerSetup {
  model: string | Uint8Array;
  options: Omit<PredictEachOptions, 'onImage'>;
}
export type ToWorker = { task: PredictTask | null };
export type FromWorker =
  | { type: 'next' }
  | { type: 'image'; outcome: ImageOutcome }
  | { type: 'done'; info: PredictModelInfo }
  | { type: 'error'; message: string; input: boolean };

/** Intra-op threads per session: as asked, or the cores shared out among the workers when ORT would choose (0). */
export function threadsPerWorker(threads: number | undefined, workers: number): number | undefined {
  if (workers <= 1 || (threads ?? 0) > 0) return threads;
  return Math.max(1, Math.floor(availableParallelism() / workers));
}

/**
 * Workers are never terminated from here: `terminate()` during a native call (an ORT run, a sharp decode) aborts
 * the whole process. After the first failure no worker gets another task; each finishes its image, disposes its
 * session and exits, and then the failure is reported.
 */
function runWorker(
  setup: WorkerSetup,
  next: () => PredictTask | undefined,
  onImage: (o: ImageOutcome) => Promise<void>,
  fail: (e: unknown) => void,
): Promise<PredictModelInfo | undefined> {
  const worker = new Worker(new URL('./predict-worker.js', import.meta.url), { workerData: setup });
  let last: Promise<void> = Promise.resolve();
  let info: PredictModelInfo | undefined;
  return new Promise((resolve) => {
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'next') worker.postMessage({ task: next() ?? null } satisfies ToWorker);
      else if (m.type === 'image') {
        last = onImage(m.outcome);
        last.catch(fail);
      } else if (m.type === 'done') info = m.info;
      else fail(m.input ? new InputError(m.message) : new Error(m.message));
    });
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (info === undefined) fail(new Error(`a prediction worker stopped (exit code ${code})`));
      last.then(
        () => resolve(info),
        () => resolve(undefined),
      );
    });
  });
}

/**
 * Predict every task `next` hands out with `workers` sessions; `onImage` gets each outcome (never two at once).
 * Resolves with the model facts and the summed inference time once every task is done; after the first failure
 * no new task starts, and once the workers have stopped it rejects with that failure.
 */
export async function predictInParallel(
  model: string | Uint8Array,
  next: () => PredictTask | undefined,
  options: PredictEachOptions & { workers?: number },
): Promise<PredictModelInfo> {
  const { workers = 1, onImage, ...rest } = options;
  if (workers <= 1) return predictEach(model, next, { ...rest, onImage });
  const threads = threadsPerWorker(rest.threads, workers);
  const setup: WorkerSetup = { model, options: { ...rest, ...(threads ? { threads } : {}) } };
  let failure: { error: unknown } | undefined;
  const fail = (error: unknown): void => {
    failure ??= { error };
  };
  // Outcomes go to onImage one at a time, in arrival order, even when it is asynchronous.
  let queue: Promise<void> = Promise.resolve();
  const serial = (o: ImageOutcome): Promise<void> => {
    queue = queue.then(() => onImage(o));
    return queue;
  };
  const guarded = (): PredictTask | undefined => (failure ? undefined : next());
  const infos = await Promise.all(Array.from({ length: workers }, () => runWorker(setup, guarded, serial, fail)));
  if (failure) throw failure.error;
  const done = infos.filter((i): i is PredictModelInfo => i !== undefined);
  return { ...done[0]!, inferenceMs: done.reduce((sum, i) => sum + i.inferenceMs, 0) };
}
