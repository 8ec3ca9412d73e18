/**
 * Worker thread entry of the imaging pool (imaging-pool.ts): runs one task per message and
 * answers with the result or a serialized typed error, under the request's id.
 */
import { parentPort } from 'node:worker_threads';
import { serializeError } from './errors.js';
import { resultBuffers, runTask, type ImagingTask } from './imaging-tasks.js';

export interface TaskRequest {
  id: number;
  task: ImagingTask;
}

parentPort?.on('message', (request: TaskRequest) => {
  runTask(request.task).then(
    (result) =>
      parentPort?.postMessage({ id: request.id, ok: true, result }, resultBuffers(result)),
    (error: unknown) =>
      parentPort?.postMessage({ id: request.id, ok: false, error: serializeError(error) }),
  );
});
