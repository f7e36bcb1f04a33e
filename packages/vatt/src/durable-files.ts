/**
 * The one way vatt writes files that must survive a crash (Node): flushed to disk, made visible by a rename,
 * the rename itself flushed. Checkpoints, TF checkpoints, ONNX folders, embedding parts, JSON reports and
 * plots all go through these.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/** Writes `data` to `file` (created or truncated) and flushes it to disk before returning. */
export async function writeFileSynced(file: string, data: string | Uint8Array): Promise<void> {
  const handle = await fs.open(file, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Flushes a directory's entries (the renames in it) to disk, so a power loss after a save cannot bring back
 * the old state. Windows cannot open a directory for this; its renames are journaled.
 */
export async function syncDirectory(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Writes `data` to `file` atomically: into a temporary file in the same folder, flushed, renamed over `file`,
 * the folder flushed (folders are created). A reader, or a run after a crash, sees the old file or the new one,
 * never part of one; a failed write leaves no temporary file behind.
 *
 * @example
 * await writeFileAtomic('runs/a/retrieval.json', JSON.stringify(report));
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const dir = path.dirname(path.resolve(file));
  await fs.mkdir(dir, { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${Date.now().toString(36)}`;
  try {
    await writeFileSynced(tmp, data);
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
  await syncDirectory(dir);
}
