/**
 * A worker thread of `predictInParallel` (predict-pool.ts): one ORT session of its own, fed one task at a time by
 * the parent. onnxruntime-node runs a session on the calling JS thread, so sessions in one thread never overlap;
 * a thread each is what lets two sessions run at once.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { InputError } from '../errors.js';
import { predictEach, type PredictEachOptions, type PredictTask } from '../yolo/predict.js';
import type { FromWorker, ToWorker, WorkerSetup } from './predict-pool.js';

const port = parentPort;
if (!port) throw new Error('predict-worker.ts runs only as a worker thread');
const setup = workerData as WorkerSetup;
let waiting: ((t: PredictTask | undefined) => void) | undefined;
port.on('message', (m: ToWorker) => {
  const w = waiting;
  waiting = undefined;
  w?.(m.task ?? undefined);
});
const post = (m: FromWorker): void => port.postMessage(m);
const options: PredictEachOptions = { ...setup.options, onImage: (outcome) => post({ type: 'image', outcome }) };

predictEach(
  setup.model,
  () =>
    new Promise<PredictTask | undefined>((resolve) => {
      waiting = resolve;
      post({ type: 'next' });
    }),
  options,
)
  .then(
    (info) => post({ type: 'done', info }),
    (e: unknown) => post({ type: 'error', message: e instanceof Error ? e.message : String(e), input: e instanceof InputError }),
  )
  // Nothing more will come from the parent: let the thread end on its own (never terminated mid-call).
  .finally(() => port.unref());
