// Worker-thread entry of the batch loader: decode + augment one Sample per message.
import { parentPort } from 'node:worker_threads';
import { loadClip } from './clip.js';
import { failedResult, transferables } from './protocol.js';
import type { ClipResult, ClipTask } from './protocol.js';

if (!parentPort) throw new Error('@vatt/data loader worker: must run inside worker_threads');
const port = parentPort;
port.on('message', (task: ClipTask) => {
  loadClip(task.sample, task.config, task.seed).then(
    (clip) => port.postMessage({ taskId: task.taskId, ok: true, clip } satisfies ClipResult, transferables(clip)),
    (error: unknown) => port.postMessage(failedResult(task.taskId, error)),
  );
});
