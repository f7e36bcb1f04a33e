import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { killProcessGroup, killScope, processScope } from '../media/process.js';
import type { ProcessScope } from '../media/process.js';
import { workerEntry } from '../worker-entry.js';
import { failedResult } from './protocol.js';
import type { ClipResult, ControlMessage, WorkerTask } from './protocol.js';
import { runTask } from './tasks.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** A task as handed to a runner (the runner numbers it). */
export type TaskInput = DistributiveOmit<WorkerTask, 'taskId'>;

/** Runs tasks somewhere; `run` never rejects (failures come back as results). */
export interface ClipRunner {
  run(task: TaskInput, timeoutMs: number): Promise<ClipResult>;
  close(): Promise<void>;
  /** Set when the runner cannot work at all (workers that die on start): the loader throws it. */
  readonly failure?: Error;
}

function timeoutResult(taskId: number, timeoutMs: number): ClipResult {
  return { taskId, ok: false, code: 'timeout', reason: `sample not loaded within ${timeoutMs} ms` };
}

/** Runs tasks on the calling thread (`workers: 0`): for debugging or where worker_threads are unavailable. */
export class InlineRunner implements ClipRunner {
  private readonly scopes = new Set<ProcessScope>();

  async run(task: TaskInput, timeoutMs: number): Promise<ClipResult> {
    const scope: ProcessScope = { children: new Set() };
    this.scopes.add(scope);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<ClipResult>((resolve) => {
      timer = setTimeout(() => {
        // The sample's ffmpeg is killed and reaped, not left running.
        void killScope(scope);
        resolve(timeoutResult(0, timeoutMs));
      }, timeoutMs);
    });
    const work = processScope.run(scope, () => runTask({ ...task, taskId: 0 } as WorkerTask)).catch((error: unknown) => failedResult(0, error));
    try {
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
      this.scopes.delete(scope);
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.scopes].map(killScope));
  }
}

/** The loader's worker script: `worker.js` next to the built bundle (or, from sources, `worker.ts` bundled: see `workerEntry`). */
export function defaultWorkerScript(): string {
  return workerEntry(new URL('./worker.js', import.meta.url), new URL('./worker.ts', import.meta.url), import.meta.url);
}

/** Crashes in a row (no task came back in between) after which the workers are taken to be unable to start. */
const MAX_CRASHES = 3;
/** How long a worker has to kill and reap a timed-out task's processes before it is taken to hang. */
const CANCEL_GRACE_MS = 2_000;
/** How long `close` waits for workers to reap their processes. */
const SHUTDOWN_GRACE_MS = 2_000;

interface Entry {
  task: WorkerTask;
  resolve: (r: ClipResult) => void;
  timeoutMs: number;
  /** Times this task was already started on a worker that then crashed. */
  attempts: number;
  timer?: NodeJS.Timeout;
}

interface Slot {
  worker: Worker;
  inflight: Map<number, Entry>;
  /** Runs one re-queued task alone (nothing else is sent to it meanwhile). */
  solo: boolean;
  /** pids each task's processes were started with (kept until the task ends or is cancelled). */
  pids: Map<number, number[]>;
  /** Cancels sent and not yet answered: taskId -> grace timer. */
  cancelling: Map<number, NodeJS.Timeout>;
  onShutdown?: () => void;
  /** The thread has exited (crashed, or terminated). */
  exited: boolean;
}

/**
 * A fixed set of worker_threads, each running up to `concurrency` tasks at once (ffmpeg runs in its own
 * process, so a worker overlaps decoding of one clip with augmenting another).
 *
 * - A task that outlives its time limit is reported as `timeout` at once, and its worker is told to kill
 *   and reap that task's ffmpeg (process group); the worker and its other tasks go on. Should the worker
 *   not confirm within a grace period (its thread hangs), the pool kills those processes itself and
 *   replaces the worker, re-queueing its other tasks.
 * - A crashed worker's tasks are re-queued once, each to run alone on a fresh worker; a task that
 *   crashes its worker again, alone, is reported `worker-crashed`. So which samples are skipped depends on
 *   the samples, not on which ones happened to share the worker when it died.
 */
export class WorkerPool implements ClipRunner {
  private readonly slots: Slot[] = [];
  private readonly waiting: Entry[] = [];
  private nextId = 1;
  private closed = false;
  private pumpScheduled = false;
  /** Crashes since the last task that came back; more than MAX_CRASHES means the workers cannot start. */
  private crashes = 0;
  failure?: Error;

  constructor(
    private readonly script: string,
    size: number,
    private readonly concurrency: number,
  ) {
    if (!existsSync(script)) throw new Error(`@vatt/data loader: worker script not found: ${script} (build the package, or pass workerScript)`);
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const slot: Slot = { worker: new Worker(this.script), inflight: new Map(), solo: false, pids: new Map(), cancelling: new Map(), exited: false };
    const settle = (message: ClipResult) => {
      const entry = slot.inflight.get(message.taskId);
      slot.pids.delete(message.taskId);
      if (!entry) return;
      this.crashes = 0;
      clearTimeout(entry.timer);
      slot.inflight.delete(message.taskId);
      if (slot.inflight.size === 0) slot.solo = false;
      entry.resolve(message);
    };
    slot.worker.on('message', (message: ClipResult | ClipResult[] | ControlMessage) => {
      if (Array.isArray(message)) message.forEach(settle);
      else if ('control' in message) return this.control(slot, message);
      else settle(message);
      this.pump();
    });
    const crashed = (why: string) => {
      if (slot.exited) return;
      slot.exited = true;
      slot.onShutdown?.();
      if (this.closed || !this.slots.includes(slot)) return;
      this.killRecorded(slot);
      const retry: Entry[] = [];
      for (const [taskId, entry] of slot.inflight) {
        clearTimeout(entry.timer);
        if (entry.attempts === 0) retry.push({ ...entry, attempts: 1, timer: undefined });
        else entry.resolve({ taskId, ok: false, code: 'worker-crashed', reason: why });
      }
      slot.inflight.clear();
      // Re-queued first, in their original order, each to run alone.
      this.waiting.unshift(...retry);
      if (++this.crashes > MAX_CRASHES) {
        this.failure = new Error(`@vatt/data loader: worker_threads keep failing (${why}); script ${this.script}`);
        void this.close();
        return;
      }
      this.replace(slot);
    };
    slot.worker.on('error', (e) => crashed(`loader worker crashed: ${e.message}`));
    slot.worker.on('exit', (code) => crashed(`loader worker exited with code ${code}`));
    return slot;
  }

  private control(slot: Slot, message: ControlMessage): void {
    if (message.control === 'spawn') {
      const pids = slot.pids.get(message.taskId) ?? [];
      pids.push(message.pid);
      slot.pids.set(message.taskId, pids);
    } else if (message.control === 'cancelled') {
      clearTimeout(slot.cancelling.get(message.taskId));
      slot.cancelling.delete(message.taskId);
      slot.pids.delete(message.taskId);
    } else if (message.control === 'shutdown-done') {
      slot.onShutdown?.();
    }
  }

  /** Kills, from this thread, every process the slot's tasks reported (the worker can no longer do it). */
  private killRecorded(slot: Slot): void {
    for (const pids of slot.pids.values()) for (const pid of pids) killProcessGroup(pid);
    slot.pids.clear();
    for (const timer of slot.cancelling.values()) clearTimeout(timer);
    slot.cancelling.clear();
  }

  /** Swaps a hung worker for a fresh one; its tasks start again there (they did not fail). */
  private replace(slot: Slot): void {
    const index = this.slots.indexOf(slot);
    if (index < 0) return;
    this.killRecorded(slot);
    for (const entry of slot.inflight.values()) {
      clearTimeout(entry.timer);
      this.waiting.unshift({ ...entry, timer: undefined });
    }
    slot.inflight.clear();
    this.slots[index] = this.spawn();
    void slot.worker.terminate();
    this.pump();
  }

  private timedOut(slot: Slot, entry: Entry): void {
    const { taskId } = entry.task;
    slot.inflight.delete(taskId);
    if (slot.inflight.size === 0) slot.solo = false;
    entry.resolve(timeoutResult(taskId, entry.timeoutMs));
    slot.worker.postMessage({ control: 'cancel', taskId } satisfies ControlMessage);
    const grace = setTimeout(() => {
      // No answer: the thread itself is stuck.
      if (this.slots.includes(slot)) this.replace(slot);
    }, CANCEL_GRACE_MS);
    grace.unref();
    slot.cancelling.set(taskId, grace);
    this.pump();
  }

  private pump(): void {
    // Tasks bound for one worker in this call go in one message.
    const outgoing = new Map<Slot, WorkerTask[]>();
    while (this.waiting.length > 0 && !this.closed) {
      const entry = this.waiting[0];
      const open = this.slots.filter((s) => !s.solo && (entry.attempts > 0 ? s.inflight.size === 0 : s.inflight.size < this.concurrency));
      if (open.length === 0) break;
      const slot = open.reduce((best, s) => (s.inflight.size < best.inflight.size ? s : best));
      this.waiting.shift();
      if (entry.attempts > 0) slot.solo = true;
      entry.timer = setTimeout(() => this.timedOut(slot, entry), entry.timeoutMs);
      slot.inflight.set(entry.task.taskId, entry);
      if (!outgoing.has(slot)) outgoing.set(slot, []);
      outgoing.get(slot)!.push(entry.task);
    }
    for (const [slot, tasks] of outgoing) slot.worker.postMessage(tasks.length === 1 ? tasks[0] : tasks);
  }

  run(task: TaskInput, timeoutMs: number): Promise<ClipResult> {
    if (this.closed) return Promise.resolve({ taskId: -1, ok: false, code: 'closed', reason: 'loader closed' });
    return new Promise((resolve) => {
      this.waiting.push({ task: { ...task, taskId: this.nextId++ } as WorkerTask, resolve, timeoutMs, attempts: 0 });
      // Dispatch once this turn's tasks are all queued, so that they travel together.
      if (!this.pumpScheduled) {
        this.pumpScheduled = true;
        setImmediate(() => {
          this.pumpScheduled = false;
          this.pump();
        });
      }
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const slot of this.slots) {
      for (const [taskId, entry] of slot.inflight) {
        clearTimeout(entry.timer);
        entry.resolve({ taskId, ok: false, code: 'closed', reason: 'loader closed' });
      }
      slot.inflight.clear();
      for (const timer of slot.cancelling.values()) clearTimeout(timer);
    }
    for (const { task, resolve } of this.waiting.splice(0)) resolve({ taskId: task.taskId, ok: false, code: 'closed', reason: 'loader closed' });
    // Each worker kills and reaps its ffmpeg processes before its thread goes (a terminated thread cannot reap).
    await Promise.all(
      this.slots.map(
        (slot) =>
          new Promise<void>((resolve) => {
            if (slot.exited) return resolve();
            const timer = setTimeout(done, SHUTDOWN_GRACE_MS);
            function done() {
              clearTimeout(timer);
              resolve();
            }
            slot.onShutdown = done;
            try {
              slot.worker.postMessage({ control: 'shutdown' } satisfies ControlMessage);
            } catch {
              done();
            }
          }),
      ),
    );
    for (const slot of this.slots) this.killRecorded(slot);
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
