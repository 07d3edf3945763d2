// Worker-thread entry: maps the raw-batch parts it is sent (map-batch.ts) and answers each with its
// result or its error, as plain data (a DataError's message, hint and context survive the trip).
import { parentPort } from 'node:worker_threads';
import { ConnectorError } from '../core/errors.js';
import { mapBatchPart, type MapJob } from './map-batch.js';
import type { WorkerAnswer } from './map-pool.js';

const port = parentPort;
if (!port) throw new Error('map-worker.ts runs only as a worker thread');
port.on('message', (job: MapJob) => {
  let answer: WorkerAnswer;
  try {
    answer = { ok: true, result: mapBatchPart(job) };
  } catch (err) {
    const e = err as Error;
    answer = err instanceof ConnectorError ? { ok: false, kind: err.kind, message: err.message, hint: err.hint, context: err.context } : { ok: false, kind: undefined, message: e.stack ?? String(err), hint: undefined, context: undefined };
  }
  port.postMessage(answer);
});
