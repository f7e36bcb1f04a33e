import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { workerScript } from '../worker-script.js';
import { loadClip } from './clip.js';
import { failedResult } from './protocol.js';
import type { ClipResult, ClipTask } from './protocol.js';

/** Runs clip tasks somewhere; `run` never rejects (failures come back as results). */
export interface ClipRunner {
  run(task: Omit<ClipTask, 'taskId'>, timeoutMs: number): Promise<ClipResult>;
  close(): Promise<void>;
  /** Set when the runner cannot work at all (workers that die on start): the loader throws it. */
  readonly failure?: Error;
}

function timeoutResult(timeoutMs: number): ClipResult {
  return { taskId: -1, ok: false, code: 'timeout', reason: `sample not loaded within ${timeoutMs} ms` };
}

/** Runs tasks on the calling thread (`workers: 0`): for debugging or where worker_threads are unavailable. */
export class InlineRunner implements ClipRunner {
  async run(task: Omit<ClipTask, 'taskId'>, timeoutMs: number): Promise<ClipResult> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<ClipResult>((resolve) => {
      timer = setTimeout(() => resolve(timeoutResult(timeoutMs)), timeoutMs);
    });
    const work = loadClip(task.sample, task.config, task.seed).then(
      (clip): ClipResult => ({ taskId: 0, ok: true, clip }),
      (error: unknown) => failedResult(0, error),
    );
    try {
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {}
}

/**
 * The loader's worker script: `worker.js` next to the built bundle, or `src/loader/worker.ts` bundled
 * on the fly when running from TypeScript sources (see {@link workerScript}).
 */
export function defaultWorkerScript(): Promise<string> {
  return workerScript(new URL('./worker.js', import.meta.url), new URL('./worker.ts', import.meta.url), import.meta.url);
}

const MAX_CRASHES = 3;

interface Slot {
  worker: Worker;
  inflight: Map<number, { task: ClipTask; resolve: (r: ClipResult) => void; timer: NodeJS.Timeout }>;
}

/**
 * A fixed set of worker_threads, each running up to `concurrency` tasks at once (ffmpeg runs in
 * its own process, so a worker overlaps decoding of one clip with augmenting another). A task
 * that outlives its time limit is reported as `timeout` and its worker is replaced (its other
 * tasks are re-queued); a crashed worker's tasks are reported as `worker-crashed`.
 */
export class WorkerPool implements ClipRunner {
  private readonly slots: Slot[] = [];
  private readonly waiting: { task: ClipTask; resolve: (r: ClipResult) => void; timeoutMs: number }[] = [];
  private nextId = 1;
  private closed = false;
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
    const slot: Slot = { worker: new Worker(this.script), inflight: new Map() };
    slot.worker.on('message', (result: ClipResult) => {
      const entry = slot.inflight.get(result.taskId);
      if (!entry) return;
      this.crashes = 0;
      clearTimeout(entry.timer);
      slot.inflight.delete(result.taskId);
      entry.resolve(result);
      this.pump();
    });
    const crashed = (why: string) => {
      if (this.closed || !this.slots.includes(slot)) return;
      for (const [taskId, entry] of slot.inflight) {
        clearTimeout(entry.timer);
        entry.resolve({ taskId, ok: false, code: 'worker-crashed', reason: why });
      }
      slot.inflight.clear();
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

  private replace(slot: Slot): void {
    const index = this.slots.indexOf(slot);
    if (index < 0) return;
    this.slots[index] = this.spawn();
    void slot.worker.terminate();
    this.pump();
  }

  private pump(): void {
    while (this.waiting.length > 0) {
      const slot = this.slots.reduce((best, s) => (s.inflight.size < best.inflight.size ? s : best));
      if (slot.inflight.size >= this.concurrency) return;
      const { task, resolve, timeoutMs } = this.waiting.shift()!;
      const timer = setTimeout(() => {
        slot.inflight.delete(task.taskId);
        resolve({ ...timeoutResult(timeoutMs), taskId: task.taskId });
        // The worker may be stuck: replace it and give its other tasks to the new one.
        for (const entry of slot.inflight.values()) {
          clearTimeout(entry.timer);
          this.waiting.unshift({ task: entry.task, resolve: entry.resolve, timeoutMs });
        }
        slot.inflight.clear();
        this.replace(slot);
      }, timeoutMs);
      slot.inflight.set(task.taskId, { task, resolve, timer });
      slot.worker.postMessage(task);
    }
  }

  run(task: Omit<ClipTask, 'taskId'>, timeoutMs: number): Promise<ClipResult> {
    if (this.closed) return Promise.resolve({ taskId: -1, ok: false, code: 'closed', reason: 'loader closed' });
    return new Promise((resolve) => {
      this.waiting.push({ task: { ...task, taskId: this.nextId++ }, resolve, timeoutMs });
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const slot of this.slots) {
      for (const [taskId, entry] of slot.inflight) {
        clearTimeout(entry.timer);
        entry.resolve({ taskId, ok: false, code: 'closed', reason: 'loader closed' });
      }
    }
    for (const { task, resolve } of this.waiting.splice(0)) resolve({ taskId: task.taskId, ok: false, code: 'closed', reason: 'loader closed' });
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
