import { createWriteStream, existsSync, readdirSync, readFileSync } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { mkdir, open, rename, rm, stat, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { hashSeed, Rng } from '@vatt/tokenizers/random';
import type { Sample } from '../datasets/sample.js';
import { labelIndex } from '../datasets/sample.js';
import { listFingerprint } from '../loader/order.js';
import { defaultWorkerScript, InlineRunner, WorkerPool } from '../loader/pool.js';
import type { ClipRunner } from '../loader/pool.js';
import type { ClipResult } from '../loader/protocol.js';
import { resolveStoreSettings } from './decode.js';
import type { StoreSettings } from './decode.js';
import { SHARD_INDEX_FILE, ShardSource } from './source.js';
import type { ShardEntry, ShardFormat, ShardIndex, SkippedRecord } from './source.js';
import type { FrameEncoding, StoredClip } from './stored.js';
import { TAR_END_BYTES, TarShardWriter, tarClipBytes } from './tar.js';
import { encodeSequenceExample, frameTfRecord } from './tfrecord.js';

/** Progress of `prepareShards`, for a progress bar. Counts include samples done by an earlier, interrupted run. */
export interface PrepareProgress {
  /** Samples finished (stored or skipped) out of `total`. */
  done: number;
  total: number;
  skipped: number;
  /** Shard bytes written so far. */
  bytes: number;
  /** Shards completed. */
  shards: number;
  elapsedMs: number;
  /** Estimated time to finish, from this run's rate (Infinity before the first sample). */
  etaMs: number;
  clipsPerSecond: number;
  bytesPerSecond: number;
}

/** Options of `prepareShards`: where and how to write, plus how each sample is stored. */
export interface PrepareOptions extends Omit<StoreSettings, 'frames'> {
  /** Output folder (created if missing). */
  out: string;
  /** 'tar' (WebDataset-style, default) or 'tfrecord' (SequenceExamples in DMVR's layout; JPEG frames). */
  format?: ShardFormat;
  /**
   * Frame encoding; 'auto' (default) stores raw rgb24 when the stored short side is at most 128 px, JPEG above.
   * Measured with bench/shards.mjs on 2 cores (144 clips of 2 s, 112x112 H.264; batch 32, training augmentation):
   * | model (stored side)        | raw: KB/clip, clips/s, CPU ms/clip | JPEG q90: KB/clip, clips/s, CPU ms/clip |
   * | 8x32x32 (37 px)            | 124, 2445, 0.54                    | 67, 261, 5.9                             |
   * | 8x64x64 (74 px)            | 408, 658, 1.32                     | 141, 233, 6.7                            |
   * | 32x224x224 (112 px source) | 1126, 16, 46                       | 484, 16, 52                              |
   * (KB/clip include the float32 audio; frames alone: 81 vs 24, 326 vs 59, 740 vs 98 KB.) sharp spends ~0.3 ms
   * of CPU per JPEG frame however small (libvips call overhead), so JPEG caps small models' loaders 5-10x below
   * raw, while raw frames that small cost only 2-5x the bytes; for large frames augmentation dominates, JPEG
   * loads about as fast and raw is 8x bigger (15x+ at a 256 px short side): disk wins.
   */
  frames?: FrameEncoding | 'auto';
  /** The crop size the model trains at; the default `shortSide` is ceil(size x 8 / 7) (256 for 224: margin for random crops). */
  size?: number;
  /** Target shard size in bytes (default 256 MB); a shard holds at least one sample. */
  shardBytes?: number;
  /** Shard file names are `<prefix>-NNNNNN.tar` (default 'shard'). */
  prefix?: string;
  /** Parallel decoders (worker_threads, each running one ffmpeg at a time; default: the number of cores); 0 decodes on this thread. */
  workers?: number;
  /** Write samples in a shuffled order (default true: shards then mix classes even when the list is sorted). */
  shuffle?: boolean;
  seed?: number;
  /** Called after every sample. */
  onProgress?: (progress: PrepareProgress) => void;
  /** Delete what an earlier prepare left in `out` and start over (default false: resume it). */
  overwrite?: boolean;
  /** On resume, try again the samples an earlier run skipped (default false: their reasons are kept). */
  retrySkipped?: boolean;
  /** Time limit for one sample (default 2 x timeoutMs + 10 s). */
  sampleTimeoutMs?: number;
  /** Worker script (default: the package's own). */
  workerScript?: string;
}

/** A shard being written under its temporary name. */
interface OpenShard {
  file: string;
  tmp: string;
  keys: string[];
  bytes: number;
  add(clip: StoredClip): Promise<void>;
  /** Bytes `clip` would add. */
  size(clip: StoredClip): number;
  close(): Promise<void>;
}

async function fsyncPath(path: string, flags = 'r'): Promise<void> {
  const handle = await open(path, flags);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes a file atomically: a temporary file, fsync, rename over the old one, fsync the folder. */
async function writeAtomic(path: string, text: string, dir: string): Promise<void> {
  const tmp = `${path}.tmp`;
  await writeFile(tmp, text);
  await fsyncPath(tmp, 'r+');
  await rename(tmp, path);
  await fsyncPath(dir);
}

async function writeChunk(stream: WriteStream, chunk: Uint8Array): Promise<void> {
  if (!stream.write(chunk)) await once(stream, 'drain');
}

function openShard(dir: string, file: string, format: ShardFormat, labels: ReadonlyMap<string, number>): OpenShard {
  const tmp = join(dir, `${file}.tmp`);
  const stream = createWriteStream(tmp);
  if (format === 'tar') {
    const writer = new TarShardWriter();
    const done = pipeline(writer.pack, stream);
    const shard: OpenShard = {
      file,
      tmp,
      keys: [],
      bytes: 0,
      size: (clip) => tarClipBytes(clip),
      add: async (clip) => {
        await writer.add(clip);
        shard.bytes = writer.bytes;
      },
      close: async () => {
        writer.finish();
        shard.bytes = writer.bytes;
        await done;
      },
    };
    return shard;
  }
  let pendingRecord: { key: string; bytes: Uint8Array } | undefined;
  const record = (clip: StoredClip) => {
    if (pendingRecord?.key !== clip.meta.key) pendingRecord = { key: clip.meta.key, bytes: frameTfRecord(encodeSequenceExample(clip, labels)) };
    return pendingRecord.bytes;
  };
  const shard: OpenShard = {
    file,
    tmp,
    keys: [],
    bytes: 0,
    size: (clip) => record(clip).length,
    add: async (clip) => {
      const bytes = record(clip);
      await writeChunk(stream, bytes);
      shard.bytes += bytes.length;
    },
    close: async () => {
      stream.end();
      await once(stream, 'finish');
    },
  };
  return shard;
}

function shardName(prefix: string, number: number, format: ShardFormat): string {
  return `${prefix}-${String(number).padStart(6, '0')}.${format}`;
}

function patternOf(prefix: string, count: number, format: ShardFormat): string {
  if (count === 0) return '';
  if (count === 1) return shardName(prefix, 0, format);
  return `${prefix}-{${'0'.repeat(6)}..${String(count - 1).padStart(6, '0')}}.${format}`;
}

/** The keys of a complete shard on disk that the index does not list (written just before a kill). */
async function keysOf(dir: string, file: string, format: ShardFormat): Promise<string[]> {
  const source = await ShardSource.open([join(dir, file)], { format });
  const keys: string[] = [];
  for await (const clip of source.records(0)) keys.push(clip.meta.key);
  return keys;
}

/**
 * Decodes each sample ONCE (one ffmpeg run for frames and audio, no probe) and writes shards to stream from:
 * WebDataset-style tar files (default) or TFRecords of SequenceExamples in the layout DMVR / the official VATT
 * input pipeline reads (`format: 'tfrecord'`). Frames are stored at `fps` with the short side at `shortSide`
 * (margin for random crops), audio as mono float32 at `sampleRate`, with each sample's id, captions (and their
 * times), labels, source path and durations.
 *
 * Crash safety: each shard is written under a temporary name (`<name>.tmp`), fsynced and renamed when complete,
 * so a killed prepare never leaves a truncated shard that looks complete. `shards.json` (written atomically after
 * every shard and at the end) lists the shards, their samples and sizes, and every skipped sample with its reason
 * (corrupt media, no audio stream, too short, timeout, ...). Run it again on the same samples and options and it
 * resumes: complete shards are kept and their samples not decoded again (a complete shard the index missed is
 * read back), temporary files are removed.
 *
 * Parallel: `workers` worker threads, each decoding one sample (one ffmpeg) at a time; shards are written in
 * the (seeded, shuffled) sample order, so the same inputs give the same shards.
 *
 * @example
 * const samples = await readManifest('clips.jsonl');
 * const index = await prepareShards(samples, {
 *   out: '/data/clips-shards', size: 64, fps: 10, sampleRate: 48000,
 *   onProgress: (p) => process.stdout.write(`\r${p.done}/${p.total} ${(p.bytes / 1e6).toFixed(0)} MB eta ${(p.etaMs / 1000).toFixed(0)} s`),
 * });
 * index.shards;  // [{ file: 'shard-000000.tar', samples: 144, bytes: 19_112_960, keys: [...] }]
 * index.skipped; // [{ key: '00000017', id: 'broken.mp4', code: 'corrupt-media', reason: '...' }]
 */
export async function prepareShards(samples: readonly Sample[], options: PrepareOptions): Promise<ShardIndex> {
  const format: ShardFormat = options.format ?? 'tar';
  if (format !== 'tar' && format !== 'tfrecord') throw new Error(`prepareShards: format must be 'tar' or 'tfrecord', got ${String(format)}`);
  const shortSide = options.shortSide ?? Math.ceil(((options.size ?? 224) * 8) / 7);
  const wanted = options.frames ?? 'auto';
  const frames: FrameEncoding = format === 'tfrecord' ? 'jpeg' : wanted === 'auto' ? (shortSide <= 128 ? 'raw' : 'jpeg') : wanted;
  if (format === 'tfrecord' && wanted === 'raw')
    throw new Error("prepareShards: TFRecord shards hold JPEG frames (DMVR's decode_jpeg); use frames: 'jpeg' or the tar format");
  const settings = resolveStoreSettings({ ...options, shortSide, frames });
  const { frames: _f, timeoutMs, ...kept } = settings;
  const shardBytes = options.shardBytes ?? 256 * 1024 * 1024;
  const prefix = options.prefix ?? 'shard';
  const seed = options.seed ?? 0;
  const shuffle = options.shuffle ?? true;
  const dir = options.out;
  await mkdir(dir, { recursive: true });
  const indexPath = join(dir, SHARD_INDEX_FILE);

  const width = Math.max(8, String(samples.length).length);
  const keyOf = (i: number) => String(i).padStart(width, '0');
  const fingerprint = listFingerprint(samples.map((s) => s.id));
  const names = [...labelIndex(samples).keys()];
  const labels = new Map(names.map((n, i) => [n, i]));
  const fresh: ShardIndex = {
    version: 1,
    format,
    frames,
    settings: kept,
    seed,
    shuffled: shuffle,
    inputSamples: samples.length,
    fingerprint,
    ...(names.length > 0 ? { labels: names } : {}),
    complete: false,
    pattern: '',
    shards: [],
    skipped: [],
    totals: { samples: 0, bytes: 0, skipped: 0 },
  };

  const shardFile = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-(\\d{6})\\.${format}$`);
  if (options.overwrite) {
    for (const f of readdirSync(dir)) if (shardFile.test(f) || f.endsWith('.tmp') || f === SHARD_INDEX_FILE) await rm(join(dir, f));
  }
  let index = fresh;
  if (existsSync(indexPath)) {
    const old = JSON.parse(readFileSync(indexPath, 'utf8')) as ShardIndex;
    const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
    const differs = [
      old.fingerprint !== fingerprint || old.inputSamples !== samples.length ? 'samples' : '',
      old.format !== format ? 'format' : '',
      old.frames !== frames ? 'frames' : '',
      !same(old.settings, kept) ? 'settings' : '',
      old.seed !== seed || old.shuffled !== shuffle ? 'seed/shuffle' : '',
    ].filter(Boolean);
    if (differs.length > 0) {
      throw new Error(
        `prepareShards: ${dir} holds shards prepared with other ${differs.join(', ')}; ` +
          'start over with the overwrite option (vatt prepare --overwrite) or write to another folder',
      );
    }
    index = { ...old, complete: false };
  }
  // Recover from an interrupted run: drop temporary files, keep complete shards (reading back any the index missed).
  const onDisk = new Set(readdirSync(dir).filter((f) => shardFile.test(f)));
  for (const f of readdirSync(dir)) if (f.endsWith('.tmp')) await rm(join(dir, f));
  index.shards = index.shards.filter((s) => onDisk.has(s.file));
  for (const f of [...onDisk].sort()) {
    if (index.shards.some((s) => s.file === f)) continue;
    const keys = await keysOf(dir, f, format);
    const { size } = await stat(join(dir, f));
    index.shards.push({ file: f, samples: keys.length, bytes: size, keys });
  }
  index.shards.sort((a, b) => a.file.localeCompare(b.file));
  if (options.retrySkipped) index.skipped = [];

  const done = new Set<string>([...index.shards.flatMap((s) => s.keys), ...index.skipped.map((s) => s.key)]);
  const order = Array.from({ length: samples.length }, (_, i) => i);
  if (shuffle) new Rng(hashSeed(seed, 0x9a4e)).shuffle(order);
  const todo = order.filter((i) => !done.has(keyOf(i)));
  let nextShard = index.shards.reduce((n, s) => Math.max(n, Number(shardFile.exec(s.file)![1]) + 1), 0);

  const summarize = () => {
    index.pattern = patternOf(prefix, nextShard, format);
    index.totals = {
      samples: index.shards.reduce((n, s) => n + s.samples, 0),
      bytes: index.shards.reduce((n, s) => n + s.bytes, 0),
      skipped: index.skipped.length,
    };
    return JSON.stringify(index, null, 1);
  };
  await writeAtomic(indexPath, summarize(), dir);

  const started = performance.now();
  let processed = 0;
  let bytesThisRun = 0;
  const report = () => {
    if (!options.onProgress) return;
    const elapsedMs = performance.now() - started;
    const rate = processed / Math.max(elapsedMs, 1);
    options.onProgress({
      done: samples.length - todo.length + processed,
      total: samples.length,
      skipped: index.skipped.length,
      bytes: index.shards.reduce((n, s) => n + s.bytes, 0) + (current?.bytes ?? 0),
      shards: index.shards.length,
      elapsedMs,
      etaMs: processed > 0 ? (todo.length - processed) / rate : Infinity,
      clipsPerSecond: rate * 1000,
      bytesPerSecond: (bytesThisRun / Math.max(elapsedMs, 1)) * 1000,
    });
  };

  let current: OpenShard | undefined;
  const finishShard = async () => {
    if (!current) return;
    const shard = current;
    current = undefined;
    await shard.close();
    await fsyncPath(shard.tmp, 'r+');
    await rename(shard.tmp, join(dir, shard.file));
    await fsyncPath(dir);
    const entry: ShardEntry = { file: shard.file, samples: shard.keys.length, bytes: shard.bytes, keys: shard.keys };
    index.shards.push(entry);
    await writeAtomic(indexPath, summarize(), dir);
  };

  const workers = options.workers ?? availableParallelism();
  const runner: ClipRunner = workers === 0 ? new InlineRunner() : new WorkerPool(options.workerScript ?? defaultWorkerScript(), workers, 1);
  const sampleTimeoutMs = options.sampleTimeoutMs ?? timeoutMs * 2 + 10_000;
  const inFlight: { i: number; result: Promise<ClipResult> }[] = [];
  let next = 0;
  const fill = () => {
    while (next < todo.length && inFlight.length < Math.max(2, 2 * workers)) {
      const i = todo[next++];
      inFlight.push({ i, result: runner.run({ kind: 'store', sample: samples[i], key: keyOf(i), settings }, sampleTimeoutMs) });
    }
  };
  try {
    for (fill(); inFlight.length > 0; fill()) {
      const { i, result } = inFlight.shift()!;
      const outcome = await result;
      if (runner.failure) throw runner.failure;
      processed++;
      if (!outcome.ok || !outcome.stored) {
        const skipped: SkippedRecord = {
          key: keyOf(i),
          id: samples[i].id,
          code: outcome.ok ? 'error' : outcome.code,
          reason: outcome.ok ? 'no stored clip came back' : outcome.reason,
        };
        index.skipped.push(skipped);
      } else {
        const clip = outcome.stored;
        if (current && current.keys.length > 0 && current.bytes + current.size(clip) + (format === 'tar' ? TAR_END_BYTES : 0) > shardBytes) await finishShard();
        current ??= openShard(dir, shardName(prefix, nextShard++, format), format, labels);
        const before = current.bytes;
        await current.add(clip);
        current.keys.push(clip.meta.key);
        bytesThisRun += current.bytes - before;
      }
      report();
    }
    await finishShard();
  } finally {
    await runner.close();
  }
  index.complete = true;
  await writeAtomic(indexPath, summarize(), dir);
  return index;
}
