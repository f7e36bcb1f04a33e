/**
 * VATT checkpoints on disk (Node): one directory = `model.json` + binary weight shards (checkpoint/format.ts),
 * written atomically through the `file://` handler, and `CheckpointManager` for a run's numbered checkpoints.
 * A checkpoint alone rebuilds the model and its preprocessing.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { loadArtifacts, MODEL_JSON, readModelJson, saveArtifacts } from './file-handler.js';
import { checkpointFromArtifacts, checkpointToArtifacts, type CheckpointData } from './format.js';

export type { CheckpointData } from './format.js';

/** Saves a checkpoint directory atomically. */
export async function saveCheckpoint(dir: string, data: CheckpointData): Promise<void> {
  await saveArtifacts(dir, await checkpointToArtifacts(data));
}

/** A checkpoint's configs, vocabulary and training state, without reading its weights. */
export async function readCheckpointInfo<Cfg = unknown, Pre = unknown, Train = unknown>(
  dir: string,
): Promise<Omit<CheckpointData<Cfg, Pre, Train>, 'weights' | 'optimizer'>> {
  const { json } = await readModelJson<{
    modelTopology?: { config?: Cfg };
    userDefinedMetadata?: { preprocessing?: Pre; vocab?: string[] | null; training?: Train | null };
  }>(dir);
  const meta = json.userDefinedMetadata ?? {};
  return {
    modelConfig: json.modelTopology?.config as Cfg,
    preprocessing: meta.preprocessing as Pre,
    vocab: meta.vocab ?? undefined,
    training: meta.training ?? undefined,
  };
}

/** Loads a checkpoint directory. The caller owns (and must dispose) the returned tensors. */
export async function loadCheckpoint<Cfg = unknown, Pre = unknown, Train = unknown>(dir: string): Promise<CheckpointData<Cfg, Pre, Train>> {
  return checkpointFromArtifacts<Cfg, Pre, Train>(await loadArtifacts(dir), dir);
}

const CKPT_RE = /^ckpt-(\d+)$/;

/** Whether a process with this id runs (signal 0 tests without signalling; EPERM: it runs as another user). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Keeps numbered checkpoints `ckpt-<step>` in one directory, the newest `keep` of them. */
export class CheckpointManager {
  constructor(
    readonly dir: string,
    readonly keep = 3,
  ) {
    if (!(keep >= 1)) throw new Error(`CheckpointManager: keep must be >= 1, got ${keep}`);
  }

  pathFor(step: number): string {
    return path.join(this.dir, `ckpt-${String(step).padStart(8, '0')}`);
  }

  /** Complete checkpoints, oldest first. Half-written (`*.tmp-*`) directories are never listed. */
  async list(): Promise<Array<{ step: number; path: string }>> {
    let names: string[];
    try {
      names = await fs.readdir(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const out: Array<{ step: number; path: string }> = [];
    for (const n of names) {
      const m = CKPT_RE.exec(n);
      if (!m) continue;
      const p = path.join(this.dir, n);
      try {
        await fs.access(path.join(p, MODEL_JSON));
        out.push({ step: Number(m[1]), path: p });
      } catch {
        /* incomplete: ignored */
      }
    }
    return out.sort((a, b) => a.step - b.step);
  }

  /** The newest complete checkpoint, or null. */
  async latest(): Promise<{ step: number; path: string } | null> {
    const all = await this.list();
    return all.length ? all[all.length - 1] : null;
  }

  /** Saves step `step`, then removes older checkpoints beyond `keep` and leftovers of interrupted saves. */
  async save(step: number, data: CheckpointData): Promise<string> {
    const p = this.pathFor(step);
    await saveCheckpoint(p, data);
    const all = await this.list();
    for (const old of all.slice(0, Math.max(0, all.length - this.keep))) await fs.rm(old.path, { recursive: true, force: true });
    // Leftovers of interrupted saves: only those of processes that are gone (another live process may be saving).
    for (const n of await fs.readdir(this.dir)) {
      const m = /\.(?:tmp|old)-(\d+)-/.exec(n);
      if (m && Number(m[1]) !== process.pid && !processAlive(Number(m[1]))) await fs.rm(path.join(this.dir, n), { recursive: true, force: true });
    }
    return p;
  }
}
