import { nodeMediaDecoder } from '../media/ffmpeg.js';
import { decodeStoredClip } from '../shards/decode.js';
import { loadClipProbed, loadStoredClip } from './clip.js';
import type { ClipResult, WorkerTask } from './protocol.js';

/**
 * Does one task, in a worker thread or inline (`workers: 0`); it throws on bad media (callers turn the error into
 * a failed result with its MediaError code). One function for both places, so a worker and the calling thread
 * give the same bytes.
 */
export async function runTask(task: WorkerTask): Promise<ClipResult> {
  const { taskId } = task;
  if (task.kind === 'store') return { taskId, ok: true, stored: await decodeStoredClip(task.sample, task.key, task.settings) };
  if (task.stored) return { taskId, ok: true, clip: await loadStoredClip(task.stored, task.config, task.seed, task.out) };
  if (!task.sample) throw new Error('loader task without a sample or a stored clip');
  if (task.store) {
    // The clip cache: decode the whole sample once; this and every later epoch's clip come from the stored copy.
    const stored = await decodeStoredClip(task.sample, task.sample.id, task.store);
    return { taskId, ok: true, clip: await loadStoredClip(stored, task.config, task.seed), stored };
  }
  const { clip, probes } = await loadClipProbed(task.sample, task.config, task.seed, nodeMediaDecoder, task.probes);
  return { taskId, ok: true, clip, probes };
}
