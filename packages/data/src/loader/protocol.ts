import type { Sample } from '../datasets/sample.js';
import type { ClipConfig, LoadedClip } from './clip.js';

/** Main thread -> worker. */
export interface ClipTask {
  taskId: number;
  sample: Sample;
  config: ClipConfig;
  seed: number;
}

/** Worker -> main thread. */
export type ClipResult = { taskId: number; ok: true; clip: LoadedClip } | { taskId: number; ok: false; code: string; reason: string };

/** Buffers to transfer (not copy) across threads. */
export function transferables(clip: LoadedClip): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const array of [clip.video, clip.audio]) {
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
