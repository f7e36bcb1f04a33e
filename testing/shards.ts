// Damaged copies of prepared tar shards for the tests: every record passes through `edit` (which may return a
// changed copy), written with the package's own TarShardWriter; shards.json and vocab.txt are copied as they are.
import { copyFileSync, createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { readTarShard, TarShardWriter, type ShardIndex, type StoredClip } from '@vatt/data';

/** Copies the tar shards in `src` to `dst`, each record through `edit(clip, shardNumber)`. */
export async function rewriteShards(src: string, dst: string, edit: (clip: StoredClip, shard: number) => StoredClip): Promise<void> {
  rmSync(dst, { recursive: true, force: true });
  mkdirSync(dst, { recursive: true });
  for (const f of ['shards.json', 'vocab.txt']) if (existsSync(path.join(src, f))) copyFileSync(path.join(src, f), path.join(dst, f));
  const index = JSON.parse(readFileSync(path.join(src, 'shards.json'), 'utf8')) as ShardIndex;
  for (const [n, shard] of index.shards.entries()) {
    const writer = new TarShardWriter();
    const done = pipeline(writer.pack, createWriteStream(path.join(dst, shard.file)));
    for await (const clip of readTarShard(createReadStream(path.join(src, shard.file)), shard.file)) await writer.add(edit(clip, n));
    writer.finish();
    await done;
  }
}

/** A record whose raw frames lost their second half (the loader skips it: "frames are truncated"). */
export const truncateFrames = (clip: StoredClip): StoredClip => ({ ...clip, frames: clip.frames!.slice(0, clip.frames!.length >> 1) });
