// Worker-thread entry of the batch loader and of prepareShards: one task per message (decode + augment a
// clip, or decode a sample for a shard), each inside a process scope so that a timed-out task's ffmpeg can be
// killed and reaped here, by the thread that spawned it (see media/process.ts).
import { parentPort } from 'node:worker_threads';
import { killAllMediaProcesses, killScope, processScope } from '../media/process.js';
import type { ProcessScope } from '../media/process.js';
import { failedResult, transferables } from './protocol.js';
import type { ClipResult, ControlMessage, WorkerTask } from './protocol.js';
import { runTask } from './tasks.js';

if (!parentPort) throw new Error('@vatt/data loader worker: must run inside worker_threads');
const port = parentPort;
const scopes = new Map<number, ProcessScope>();

function control(message: ControlMessage): void {
  if (message.control === 'cancel') {
    const scope = scopes.get(message.taskId);
    void (scope ? killScope(scope) : Promise.resolve()).then(() => port.postMessage({ control: 'cancelled', taskId: message.taskId } satisfies ControlMessage));
  } else if (message.control === 'shutdown') {
    void killAllMediaProcesses().then(() => port.postMessage({ control: 'shutdown-done' } satisfies ControlMessage));
  }
}

// Results finished in the same turn of the event loop go back in one message (a message costs tens of
// microseconds, as much as augmenting a tiny clip); the pool likewise sends tasks in arrays.
let outbox: ClipResult[] = [];
let outboxTransfer: ArrayBuffer[] = [];
function flush(): void {
  const [results, transfer] = [outbox, outboxTransfer];
  outbox = [];
  outboxTransfer = [];
  port.postMessage(results.length === 1 ? results[0] : results, transfer);
}

function start(task: WorkerTask): void {
  // A clip from a stored clip starts no process: it runs outside any scope, so this thread never turns on
  // AsyncLocalStorage's promise hooks, which cost every promise of a shard-loading worker (~10 % of a tiny clip).
  if (task.kind !== 'store' && !task.sample) {
    void runTask(task)
      .catch((error: unknown): ClipResult => failedResult(task.taskId, error))
      .then(finish);
    return;
  }
  const scope: ProcessScope = {
    children: new Set(),
    onSpawn: (pid) => port.postMessage({ control: 'spawn', taskId: task.taskId, pid } satisfies ControlMessage),
  };
  scopes.set(task.taskId, scope);
  processScope
    .run(scope, () => runTask(task))
    .catch((error: unknown): ClipResult => failedResult(task.taskId, error))
    .then((result) => {
      scopes.delete(task.taskId);
      finish(result);
    });
}

function finish(result: ClipResult): void {
  if (outbox.length === 0) setImmediate(flush);
  outbox.push(result);
  outboxTransfer.push(...transferables(result));
}

port.on('message', (message: WorkerTask | WorkerTask[] | ControlMessage) => {
  if (Array.isArray(message)) message.forEach(start);
  else if ('control' in message) control(message);
  else start(message);
});
