import type { Sample } from '../datasets/sample.js';
import type { StoreSettings } from '../shards/decode.js';
import type { StoredClip } from '../shards/stored.js';
import { storedTransferables } from '../shards/stored.js';
import type { ClipBuffers, ClipConfig, LoadedClip, SampleProbes } from './clip.js';

/**
 * Main thread -> worker: make one clip. From `stored` (a shard record or a cached decode: no ffmpeg), or
 * from `sample`'s media files with ffmpeg: with `store`, the whole sample is decoded once into a stored clip
 * (returned for the loader's clip cache) and the clip made from it; otherwise only the window is decoded,
 * `probes` saving the probe of files seen before.
 */
export interface ClipTask {
  taskId: number;
  kind?: 'clip';
  sample?: Sample;
  stored?: StoredClip;
  store?: StoreSettings;
  probes?: SampleProbes;
  /** Shared-memory arrays to write a one-view clip from `stored` into (the result's clip then holds these views). */
  out?: ClipBuffers;
  config: ClipConfig;
  seed: number;
}

/** Main thread -> worker: decode a sample into a stored clip for a shard (`prepareShards`). */
export interface StoreTask {
  taskId: number;
  kind: 'store';
  sample: Sample;
  key: string;
  settings: StoreSettings;
}

export type WorkerTask = ClipTask | StoreTask;

/** Worker -> main thread. */
export type ClipResult =
  { taskId: number; ok: true; clip?: LoadedClip; probes?: SampleProbes; stored?: StoredClip } | { taskId: number; ok: false; code: string; reason: string };

/**
 * Out-of-band messages. Pool -> worker: `cancel` (kill and reap a timed-out task's ffmpeg, then answer
 * `cancelled`), `shutdown` (the same for every task, answered `shutdown-done`). Worker -> pool: `spawn`
 * (a task started a process: the pool's fallback if the thread stops answering).
 */
export type ControlMessage =
  | { control: 'cancel'; taskId: number }
  | { control: 'cancelled'; taskId: number }
  | { control: 'shutdown' }
  | { control: 'shutdown-done' }
  | { control: 'spawn'; taskId: number; pid: number };

/** Buffers to transfer (not copy) across threads. */
export function transferables(result: ClipResult): ArrayBuffer[] {
  if (!result.ok) return [];
  const out: ArrayBuffer[] = result.stored ? storedTransferables(result.stored) : [];
  for (const array of [result.clip?.video, result.clip?.audio]) {
    if (array && array.buffer instanceof ArrayBuffer && !out.includes(array.buffer)) out.push(array.buffer);
  }
  return out;
}

/** Turns any thrown value into a failed result (MediaError codes are kept). */
export function failedResult(taskId: number, error: unknown): ClipResult {
  const e = error as { code?: unknown; message?: unknown };
  return {
    taskId,
    ok: false,
    code: typeof e?.code === 'string' ? e.code : 'error',
    reason: typeof e?.message === 'string' ? e.message : String(error),
  };
}
