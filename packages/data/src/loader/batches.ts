import { availableParallelism } from 'node:os';
import { hashSeed } from '@vatt/tokenizers/random';
import type { Sample } from '../datasets/sample.js';
import type { StoreSettings } from '../shards/decode.js';
import { ShardSource } from '../shards/source.js';
import type { ShardIndex } from '../shards/source.js';
import { releaseStoredClip, shareStoredClip, storedClipBytes } from '../shards/stored.js';
import type { StoredClip } from '../shards/stored.js';
import { resolveClipConfig } from './clip.js';
import type { ClipBuffers, ClipConfig, LoadedClip, SampleProbes } from './clip.js';
import { listFingerprint, SampleStream, ShardStream } from './order.js';
import type { ItemStream, LoaderCursor, OrderItem } from './order.js';
import { defaultWorkerScript, InlineRunner, WorkerPool } from './pool.js';
import type { ClipRunner } from './pool.js';
import type { ClipResult } from './protocol.js';

/**
 * A batch of clips. With one view per clip (training) `videoShape` is `[B, T, H, W, 3]` and
 * `audioShape` `[B, samples]`; with several (evaluation: clips x crops) `[B, V, T, H, W, 3]` and
 * `[B, V, samples]`. Video is float32 in [0, 1] (the tokenizer maps it to [-1, 1], docs/numerics.md §1.1).
 */
export interface Batch {
  ids: string[];
  numViews: number;
  video?: Float32Array;
  videoShape?: number[];
  audio?: Float32Array;
  audioShape?: number[];
  /** Per clip: K narrations (training) or all of the sample's captions (evaluation, plain captions). */
  captions: string[][];
  /** 1 where the clip has real text, 0 where it has none (mask it out of MIL-NCE, docs/numerics.md §6.2). */
  textMask: Uint8Array;
  labels: (string | number | undefined)[];
  multiLabels: ((string | number)[] | undefined)[];
  /** Epoch of the batch's last clip (batches run on across epoch boundaries). */
  epoch?: number;
}

/** A sample the loader skipped, and why. */
export interface SkippedSample {
  /** Position in the sample list (-1 for a shard record). */
  index: number;
  id: string;
  /** MediaError code ('corrupt-media', 'no-audio-stream', 'timeout', ...) or 'error'. */
  code: string;
  reason: string;
}

export interface LoaderStats {
  loaded: number;
  batches: number;
  skipped: SkippedSample[];
}

export interface BatchLoaderOptions {
  batchSize: number;
  clip: ClipConfig;
  /** Seeds the shuffle and every clip's augmentation (default 0). */
  seed?: number;
  /**
   * Added to each sample's position when seeding its augmentation (default 0; sample lists only). Superseded
   * by `cursor`, which resumes exactly even when samples were skipped.
   */
  seedOffset?: number;
  /** Shuffle each epoch (default: true in 'train' mode): the sample order, or the shard order and a record shuffle buffer. */
  shuffle?: boolean;
  /** Passes over the samples (default 1; `Infinity` for an endless stream). Batches run on across epoch boundaries. */
  epochs?: number;
  /** Drop a last incomplete batch (default false). */
  dropLast?: boolean;
  /** worker_threads doing decode + augmentation; 0 runs on the calling thread. Default: cores - 1 (shards: cores), at least 1, at most 4. */
  workers?: number;
  /** Clips one worker processes at once (default 2; from shards 16, a queue deep enough that no worker waits for work). */
  concurrencyPerWorker?: number;
  /**
   * Most clips in flight or waiting to be batched; bounds memory. Default: 4 x batchSize while those clips
   * take at most 256 MB (small clips: the deeper queue keeps the workers fed, ~5 % more clips/s for the tiny
   * model on 2 cores), else 2 x batchSize (a 32 x 224 x 224 clip alone is 19 MB).
   */
  prefetch?: number;
  /** Time limit for one sample, all its ffmpeg calls together (default: 4 x the clip's ffmpeg time limit). */
  sampleTimeoutMs?: number;
  /** Worker script (default: the package's own). */
  workerScript?: string;
  /** Called for each skipped sample as it happens. */
  onSkip?: (skipped: SkippedSample) => void;
  /**
   * Where to start: a cursor from `loader.cursor()` of an earlier run over the same samples or shards, with the
   * same seed. The loader then yields exactly the batches the earlier loader would have yielded next: the same
   * samples, skips and augmentation draws.
   */
  cursor?: LoaderCursor;
  /** Shards: records in the shuffle buffer (default 128; each holds one stored clip in memory). */
  shuffleBuffer?: number;
  /**
   * Sample lists: keep decoded clips in memory up to this many bytes (default 0: off). Each sample is then
   * decoded whole, once (frames at the clip's fps with the short side at minResize, audio at its rate: one ffmpeg
   * run), and every epoch's clip is cut from that copy with the usual augmentation: for datasets that fit in
   * memory. A clip evicted (or not admitted) is decoded again the same way, so results do not depend on the cache.
   */
  cacheBytes?: number;
  /**
   * Write each batch into arrays reused two batches later instead of new ones (default false). Memory fresh
   * from the system costs a page fault per 4 KB on its first write, which at 8 x 64 x 64 is most of what batching
   * costs the calling thread. With it on, a batch's `video` and `audio` keep their values only until the batch
   * after the next one is asked for: copy out (or make tensors of) what is kept longer, as the VATT trainer does.
   */
  reuseBatchArrays?: boolean;
}

/** Copies clips into one batch: into `into`'s arrays where they have the batch's size, else new ones. */
export function collate(clips: LoadedClip[], into: { video?: Float32Array; audio?: Float32Array } = {}): Batch {
  const numViews = clips[0].numViews;
  const stack = (key: 'video' | 'audio', shapeKey: 'videoShape' | 'audioShape') => {
    const first = clips[0][shapeKey];
    if (!first) return {};
    const size = clips.length * clips[0][key]!.length;
    const data = into[key]?.length === size ? into[key]! : new Float32Array(size);
    clips.forEach((c, i) => {
      if (!c[key] || c[key]!.length !== clips[0][key]!.length) throw new Error(`collate: clip "${c.id}" has no ${key} or a different ${key} size`);
      data.set(c[key]!, i * c[key]!.length);
    });
    const inner = first.slice(numViews === 1 ? 1 : 0);
    return { [key]: data, [shapeKey]: [clips.length, ...inner] };
  };
  return {
    ids: clips.map((c) => c.id),
    numViews,
    ...stack('video', 'videoShape'),
    ...stack('audio', 'audioShape'),
    captions: clips.map((c) => c.captions),
    textMask: Uint8Array.from(clips.map((c) => (c.textValid ? 1 : 0))),
    labels: clips.map((c) => c.label),
    multiLabels: clips.map((c) => c.labels),
  };
}

/** Remembers values up to a budget (entries or bytes), dropping the oldest first. */
class Lru<K, V> {
  private readonly map = new Map<K, { value: V; size: number }>();
  private used = 0;
  constructor(
    private readonly budget: number,
    private readonly sizeOf: (v: V) => number = () => 1,
  ) {}
  get(key: K): V | undefined {
    const hit = this.map.get(key);
    if (!hit) return undefined;
    this.map.delete(key);
    this.map.set(key, hit);
    return hit.value;
  }
  set(key: K, value: V): void {
    const size = this.sizeOf(value);
    if (size > this.budget) return;
    const old = this.map.get(key);
    if (old) this.used -= old.size;
    this.map.delete(key);
    this.map.set(key, { value, size });
    this.used += size;
    for (const [k, v] of this.map) {
      if (this.used <= this.budget) break;
      this.map.delete(k);
      this.used -= v.size;
    }
  }
}

/**
 * Refuses shards whose stored media cannot give the clip config (checked once, not as a skip of every sample):
 * missing frames or audio, or audio at another rate (the loader does not resample stored audio).
 */
function checkShardSettings(stored: ShardIndex['settings'], cfg: ReturnType<typeof resolveClipConfig>): void {
  if (cfg.video && !stored.video) throw new Error('BatchLoader: the shards hold no frames (prepared with video: false), the clip config asks for video');
  if (cfg.audio && !stored.audio) throw new Error('BatchLoader: the shards hold no audio (prepared with audio: false), the clip config asks for audio');
  if (cfg.audio && stored.audio && stored.sampleRate !== cfg.audio.sampleRate) {
    throw new Error(
      `BatchLoader: the shards hold audio at ${stored.sampleRate} Hz, the clip config asks for ${cfg.audio.sampleRate} Hz: ` +
        `prepare them again at that rate (vatt prepare --sample-rate ${cfg.audio.sampleRate}, or the model's --preset / --config)`,
    );
  }
}

/** The default prefetch (see `BatchLoaderOptions.prefetch`). */
function defaultPrefetch(batchSize: number, cfg: ReturnType<typeof resolveClipConfig>): number {
  const views = cfg.numClips * (cfg.mode === 'eval' && cfg.video?.numCrops === 3 ? 3 : 1);
  const clipBytes = 4 * views * ((cfg.video ? cfg.video.numFrames * cfg.video.size * cfg.video.size * 3 : 0) + (cfg.audio?.numSamples ?? 0));
  return 4 * batchSize * clipBytes <= 256 * 2 ** 20 ? 4 * batchSize : 2 * batchSize;
}

/** Probe results kept for this many sample files (a few hundred bytes each). */
const PROBE_CACHE_ENTRIES = 200_000;

/**
 * Streams batches of decoded, augmented clips from a sample list (media files, decoded with ffmpeg) or from
 * prepared shards (a `ShardSource`: no ffmpeg at all). Decoding and augmentation run in worker_threads; at
 * most `prefetch` clips are in flight or buffered, so memory stays bounded. Batches come out in a fixed
 * order for a seed (shuffled per epoch), whatever the worker timing. A sample that fails (corrupt file,
 * missing audio track, timeout) is skipped, counted in `stats.skipped` with its reason, and the run goes on.
 *
 * `cursor()` tells, after any batch, where the loader stands (a small JSON-able object); a new loader given it
 * as `options.cursor` goes on with exactly the batches this one would have yielded next. Save it in the
 * training checkpoint instead of recomputing an offset from the step (which skipped samples make wrong).
 *
 * From a sample list, a file is probed once per run (the probe is cached), so each clip costs one ffmpeg run
 * for frames and audio together; `cacheBytes` keeps whole decoded clips in memory for small datasets.
 *
 * @example
 * const loader = new BatchLoader(samples, { batchSize: 8, clip: { mode: 'train' }, seed: 1, epochs: Infinity });
 * for await (const batch of loader) {
 *   batch.videoShape; // [8, 32, 224, 224, 3]
 *   checkpoint.dataCursor = loader.cursor();
 * }
 * const resumed = new BatchLoader(samples, { batchSize: 8, clip: { mode: 'train' }, seed: 1, epochs: Infinity, cursor: checkpoint.dataCursor });
 * console.log(loader.stats.skipped); // [{ id: 'broken', code: 'corrupt-media', reason: '...' }]
 */
export class BatchLoader implements AsyncIterable<Batch> {
  readonly stats: LoaderStats = { loaded: 0, batches: 0, skipped: [] };
  private readonly options: Required<
    Pick<BatchLoaderOptions, 'seed' | 'epochs' | 'dropLast' | 'workers' | 'concurrencyPerWorker' | 'prefetch' | 'sampleTimeoutMs'>
  > &
    BatchLoaderOptions;
  private runner?: ClipRunner;
  private position: LoaderCursor;
  private readonly probes = new Lru<string, SampleProbes>(PROBE_CACHE_ENTRIES);
  private readonly clips: Lru<number, StoredClip>;
  private readonly freeBuffers: ClipBuffers[] = [];
  private readonly fingerprint: string;
  private readonly resolved: ReturnType<typeof resolveClipConfig>;

  constructor(
    private readonly source: readonly Sample[] | ShardSource,
    options: BatchLoaderOptions,
  ) {
    if (!(Number.isInteger(options.batchSize) && options.batchSize > 0))
      throw new Error(`BatchLoader: expected batchSize to be a positive integer, got ${options.batchSize}`);
    const resolved = resolveClipConfig(options.clip);
    this.resolved = resolved;
    const fromShards = source instanceof ShardSource;
    // From shards the calling thread mostly waits (reading a shard is cheap), so every core gets a worker:
    // measured on 2 cores, 2 workers deliver 10-20 % more clips/s than 1 (bench/shards.mjs).
    const workers = options.workers ?? Math.max(1, Math.min(4, availableParallelism() - (fromShards ? 0 : 1)));
    this.options = {
      ...options,
      seed: options.seed ?? 0,
      epochs: options.epochs ?? 1,
      dropLast: options.dropLast ?? false,
      workers,
      concurrencyPerWorker: options.concurrencyPerWorker ?? (fromShards ? 16 : 2),
      prefetch: Math.max(1, options.prefetch ?? defaultPrefetch(options.batchSize, resolved)),
      sampleTimeoutMs: options.sampleTimeoutMs ?? resolved.timeoutMs * (2 + 2 * resolved.numClips),
    };
    if (options.cursor && !(options.cursor.version === 1 && (options.cursor.kind === 'samples' || options.cursor.kind === 'shards'))) {
      throw new Error('BatchLoader: options.cursor is not a loader cursor (from loader.cursor())');
    }
    const seed = this.options.seed;
    // Shards by file name only: the same shards moved to another folder or served over http resume as well.
    this.fingerprint = listFingerprint(fromShards ? source.shards.map((s) => s.slice(s.lastIndexOf('/') + 1)) : source.map((s) => s.id));
    const fingerprint = this.fingerprint;
    this.position =
      options.cursor ??
      (fromShards
        ? { version: 1, kind: 'shards', seed, count: source.shards.length, fingerprint, epoch: 0, shard: 0, sample: 0, buffer: [], rng: 0, batches: 0 }
        : { version: 1, kind: 'samples', seed, count: source.length, fingerprint, epoch: 0, offset: 0, batches: 0 });
    this.clips = new Lru<number, StoredClip>(options.cacheBytes ?? 0, storedClipBytes);
    if (fromShards && source.index) checkShardSettings(source.index.settings, resolved);
  }

  /**
   * Where the loader stands after the batches it has yielded: pass it as `options.cursor` to a new loader (same
   * samples or shards, same seed and clip config) to go on exactly from here. Before the first batch it is the
   * starting position.
   *
   * @example
   * const saved = JSON.stringify(loader.cursor()); // { version: 1, kind: 'samples', epoch: 3, offset: 17, ... }
   */
  cursor(): LoaderCursor {
    return structuredClone(this.position);
  }

  private stream(): ItemStream {
    const shuffle = this.options.shuffle ?? this.options.clip.mode === 'train';
    const { seed, epochs, cursor } = this.options;
    if (this.source instanceof ShardSource) {
      return new ShardStream(this.source, seed, shuffle, this.options.shuffleBuffer ?? 128, epochs, this.fingerprint, cursor);
    }
    return new SampleStream(this.source, seed, shuffle, epochs, this.options.seedOffset ?? 0, this.fingerprint, cursor);
  }

  /** Output arrays for a one-view clip made from a stored clip: reused ones, else new ones in shared memory. */
  private takeBuffers(): ClipBuffers | undefined {
    const cfg = this.resolved;
    const oneView = cfg.numClips === 1 && (cfg.mode === 'train' || cfg.video?.numCrops !== 3);
    if (!oneView) return undefined;
    const reused = this.freeBuffers.pop();
    if (reused) return reused;
    const make = (n: number) => new Float32Array(new SharedArrayBuffer(n * 4));
    return {
      ...(cfg.video ? { video: make(cfg.video.numFrames * cfg.video.size * cfg.video.size * 3) } : {}),
      ...(cfg.audio ? { audio: make(cfg.audio.numSamples) } : {}),
    };
  }

  /** Starts loading one item: from its stored clip, the clip cache, or its media files. */
  private dispatch(runner: ClipRunner, item: OrderItem): { result: Promise<ClipResult>; buffers?: ClipBuffers } {
    const { clip: config, sampleTimeoutMs } = this.options;
    const seed = hashSeed(this.options.seed, item.epoch, item.seedKey);
    const fromStored = (stored: StoredClip) => {
      const buffers = this.takeBuffers();
      return { result: runner.run({ stored, config, seed, ...(buffers ? { out: buffers } : {}) }, sampleTimeoutMs), buffers };
    };
    if (item.stored) return fromStored(item.stored);
    const cached = (this.options.cacheBytes ?? 0) > 0 ? this.clips.get(item.index!) : undefined;
    if (cached) return fromStored(cached);
    return { result: this.dispatchSample(runner, item, seed) };
  }

  /** A sample from its media files: decoded whole once for the clip cache, else its window with the cached probe. */
  private dispatchSample(runner: ClipRunner, item: OrderItem, seed: number): Promise<ClipResult> {
    const { clip: config, sampleTimeoutMs } = this.options;
    const sample = item.sample!;
    if ((this.options.cacheBytes ?? 0) > 0) {
      const cfg = this.resolved;
      const store: StoreSettings = {
        video: Boolean(cfg.video),
        audio: Boolean(cfg.audio),
        fps: cfg.video?.fps,
        shortSide: cfg.video?.minResize,
        upscale: true,
        sampleRate: cfg.audio?.sampleRate,
        frames: 'raw',
        timeoutMs: cfg.timeoutMs,
      };
      return runner.run({ sample, store, config, seed }, sampleTimeoutMs).then((result) => {
        if (result.ok && result.stored) this.clips.set(item.index!, shareStoredClip(result.stored));
        return result;
      });
    }
    const key = `${sample.video ?? ''}\n${sample.audio ?? ''}`;
    return runner.run({ sample, probes: this.probes.get(key), config, seed }, sampleTimeoutMs).then((result) => {
      if (result.ok && result.probes) this.probes.set(key, result.probes);
      return result;
    });
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Batch> {
    const { workers, concurrencyPerWorker, prefetch, batchSize } = this.options;
    const stream = this.stream(); // (first: it throws on a cursor that does not fit, before any worker starts)
    const runner: ClipRunner =
      workers === 0 ? new InlineRunner() : new WorkerPool(this.options.workerScript ?? defaultWorkerScript(), workers, concurrencyPerWorker);
    this.runner = runner;
    const startBatches = this.options.cursor?.batches ?? 0;
    const pending: { item: OrderItem; result: Promise<ClipResult>; buffers?: ClipBuffers }[] = [];
    let exhausted = false;
    const fill = async () => {
      while (!exhausted && pending.length < prefetch) {
        const item = await stream.next();
        if (!item) {
          exhausted = true;
          return;
        }
        pending.push({ item, ...this.dispatch(runner, item) });
      }
    };
    let clips: LoadedClip[] = [];
    // Samples skipped since the last one that loaded: a whole epoch of them means none ever will (a loader of
    // several epochs, or an endless one, would otherwise go round skipping; one epoch simply ends). Epoch size:
    // the list's, the shard index's, or counted over the first whole epoch seen (a resumed loader starts mid-epoch).
    let skippedInARow = 0;
    let perEpoch = this.source instanceof ShardSource ? this.source.sampleCount : this.source.length;
    let lastEpoch: number | undefined;
    let counting: { epoch: number; seen: number } | undefined;
    // Output buffers of the clips waiting in `clips`: free again once the batch is copied out of them.
    let held: ClipBuffers[] = [];
    let last: OrderItem | undefined;
    // reuseBatchArrays: the arrays of the batch before the last, written over by the next batch.
    const ring: { video?: Float32Array; audio?: Float32Array }[] = [];
    const emit = (item: OrderItem) => {
      const batch = collate(clips, this.options.reuseBatchArrays ? (ring.length === 2 ? ring.shift()! : {}) : {});
      if (this.options.reuseBatchArrays) ring.push({ video: batch.video, audio: batch.audio });
      batch.epoch = item.epoch;
      clips = [];
      this.freeBuffers.push(...held);
      held = [];
      this.stats.batches++;
      this.position = { ...item.after, batches: startBatches + this.stats.batches } as LoaderCursor;
      return batch;
    };
    try {
      for (await fill(); pending.length > 0; await fill()) {
        const { item, result, buffers } = pending.shift()!;
        const outcome = await result;
        if (runner.failure) throw runner.failure;
        // A shard record is read once per epoch: its buffers can hold the next records (unless a timed-out task may
        // still be reading them).
        if (item.stored && (outcome.ok || outcome.code !== 'timeout')) releaseStoredClip(item.stored);
        last = item;
        if (perEpoch === undefined) {
          if (counting && item.epoch !== counting.epoch) perEpoch = counting.seen;
          else if (counting) counting.seen++;
          else if (lastEpoch !== undefined && item.epoch !== lastEpoch) counting = { epoch: item.epoch, seen: 1 };
          lastEpoch = item.epoch;
        }
        if (outcome.ok) {
          skippedInARow = 0;
          this.stats.loaded++;
          clips.push(outcome.clip!);
          if (buffers) held.push(buffers);
        } else {
          // A timed-out task may still be writing its buffers: those are dropped, not reused.
          if (buffers && outcome.code !== 'timeout') this.freeBuffers.push(buffers);
          const skipped = { index: item.index ?? -1, id: item.id, code: outcome.code, reason: outcome.reason };
          this.stats.skipped.push(skipped);
          this.options.onSkip?.(skipped);
          if (++skippedInARow >= (perEpoch ?? Infinity) && perEpoch! > 0 && this.options.epochs > 1) {
            const first = this.stats.skipped[this.stats.skipped.length - skippedInARow];
            throw new Error(
              `BatchLoader: all ${perEpoch} samples of an epoch were skipped, none can be loaded (the first: "${first.id}": ${first.code}: ${first.reason})`,
            );
          }
        }
        if (clips.length === batchSize) yield emit(item);
      }
      if (clips.length > 0 && !this.options.dropLast && last) yield emit(last);
    } finally {
      await stream.close();
      await runner.close();
      this.runner = undefined;
    }
  }

  /** Stops the workers early (also done when a `for await` loop ends or breaks). */
  async close(): Promise<void> {
    await this.runner?.close();
  }
}
