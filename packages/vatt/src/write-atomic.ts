/** The one way vatt writes a file that others read (Node): whole or not at all. */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/**
 * Writes `data` to `file` atomically: into a temporary file in the same folder, flushed to disk, then renamed
 * over `file` (folders are created). A reader, or a run after a crash, sees the old file or the new one, never
 * part of one; a failed write leaves no temporary file behind.
 *
 * @example
 * await writeFileAtomic('runs/a/retrieval.json', JSON.stringify(report));
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  await fs.mkdir(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${Date.now().toString(36)}`;
  try {
    const handle = await fs.open(tmp, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
}
