import { availableParallelism } from 'node:os';
import { hashSeed, Rng } from '@vatt/tokenizers';
import type { Sample } from '../datasets/sample.js';
import { resolveClipConfig } from './clip.js';
import type { ClipConfig, LoadedClip } from './clip.js';
import { defaultWorkerScript, InlineRunner, WorkerPool } from './pool.js';
import type { ClipRunner } from './pool.js';

/**
 * A batch of clips. With one view per clip (training) `videoShape` is `[B, T, H, W, 3]` and
 * `audioShape` `[B, samples]`; with several (evaluation: clips x crops) `[B, V, T, H, W, 3]` and
 * `[B, V, samples]`. Video is float32 in [0, 1] (the tokenizer maps it to [-1, 1], spec 1.1).
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
  /** 1 where the clip has real text, 0 where it has none (mask it out of MIL-NCE, spec 6.2). */
  textMask: Uint8Array;
  labels: (string | number | undefined)[];
  multiLabels: ((string | number)[] | undefined)[];
}

/** A sample the loader skipped, and why. */
export interface SkippedSample {
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
   * Added to each sample's position when seeding its augmentation (default 0): a loader over the tail
   * of a list, from position `k`, given `seedOffset: k`, draws what a loader over the whole list drew
   * for those samples (resumed runs).
   */
  seedOffset?: number;
  /** Shuffle each epoch (default: true in 'train' mode). */
  shuffle?: boolean;
  /** Passes over the samples (default 1; `Infinity` for an endless stream). */
  epochs?: number;
  /** Drop a last incomplete batch (default false). */
  dropLast?: boolean;
  /** worker_threads doing decode + augmentation; 0 runs on the calling thread. Default: cores - 1 (at least 1, at most 4). */
  workers?: number;
  /** Clips one worker processes at once (default 2). */
  concurrencyPerWorker?: number;
  /** Most clips in flight or waiting to be batched; bounds memory (default 2 x batchSize). */
  prefetch?: number;
  /** Time limit for one sample, all its ffmpeg calls together (default: 4 x the clip's ffmpeg time limit). */
  sampleTimeoutMs?: number;
  /** Worker script (default: the package's own). */
  workerScript?: string;
  /** Called for each skipped sample as it happens. */
  onSkip?: (skipped: SkippedSample) => void;
}

/** Copies clips into one batch. */
export function collate(clips: LoadedClip[]): Batch {
  const numViews = clips[0].numViews;
  const stack = (key: 'video' | 'audio', shapeKey: 'videoShape' | 'audioShape') => {
    const first = clips[0][shapeKey];
    if (!first) return {};
    const data = new Float32Array(clips.length * clips[0][key]!.length);
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

/**
 * Streams batches of decoded, augmented clips. Decoding and augmentation run in worker_threads
 * (ffmpeg in child processes); at most `prefetch` clips are in flight or buffered, so memory stays
 * bounded. Batches come out in sample order (shuffled per epoch with `seed`), so a run is
 * reproducible whatever the worker timing. A sample that fails (corrupt file, missing audio
 * track, timeout) is skipped, counted in `stats.skipped` with its reason, and the run goes on.
 *
 * @example
 * const loader = new BatchLoader(samples, { batchSize: 8, clip: { mode: 'train' }, seed: 1 });
 * for await (const batch of loader) {
 *   batch.videoShape; // [8, 32, 224, 224, 3]
 * }
 * console.log(loader.stats.skipped); // [{ id: 'broken', code: 'corrupt-media', reason: '...' }]
 */
export class BatchLoader implements AsyncIterable<Batch> {
  readonly stats: LoaderStats = { loaded: 0, batches: 0, skipped: [] };
  private readonly options: Required<
    Pick<BatchLoaderOptions, 'seed' | 'epochs' | 'dropLast' | 'workers' | 'concurrencyPerWorker' | 'prefetch' | 'sampleTimeoutMs'>
  > &
    BatchLoaderOptions;
  private runner?: ClipRunner;

  constructor(
    private readonly samples: readonly Sample[],
    options: BatchLoaderOptions,
  ) {
    if (!(Number.isInteger(options.batchSize) && options.batchSize > 0))
      throw new Error(`BatchLoader: expected batchSize to be a positive integer, got ${options.batchSize}`);
    const resolved = resolveClipConfig(options.clip);
    const workers = options.workers ?? Math.max(1, Math.min(4, availableParallelism() - 1));
    this.options = {
      ...options,
      seed: options.seed ?? 0,
      epochs: options.epochs ?? 1,
      dropLast: options.dropLast ?? false,
      workers,
      concurrencyPerWorker: options.concurrencyPerWorker ?? 2,
      prefetch: Math.max(1, options.prefetch ?? 2 * options.batchSize),
      sampleTimeoutMs: options.sampleTimeoutMs ?? resolved.timeoutMs * (2 + 2 * resolved.numClips),
    };
  }

  /** Sample indices in loading order, epoch by epoch. */
  private *order(): Generator<{ index: number; epoch: number }> {
    const shuffle = this.options.shuffle ?? this.options.clip.mode === 'train';
    if (this.samples.length === 0) return; // (an endless run over nothing would spin forever)
    for (let epoch = 0; epoch < this.options.epochs; epoch++) {
      const indices = this.samples.map((_, i) => i);
      if (shuffle) new Rng(hashSeed(this.options.seed, epoch, 0x5eed)).shuffle(indices);
      for (const index of indices) yield { index, epoch };
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Batch> {
    const { workers, concurrencyPerWorker, prefetch, sampleTimeoutMs, seed, batchSize, clip: config } = this.options;
    const runner: ClipRunner =
      workers === 0 ? new InlineRunner() : new WorkerPool(this.options.workerScript ?? (await defaultWorkerScript()), workers, concurrencyPerWorker);
    this.runner = runner;
    const order = this.order();
    const pending: { index: number; result: ReturnType<ClipRunner['run']> }[] = [];
    let exhausted = false;
    const fill = () => {
      while (!exhausted && pending.length < prefetch) {
        const next = order.next();
        if (next.done) {
          exhausted = true;
          return;
        }
        const { index, epoch } = next.value;
        const sample = this.samples[index];
        pending.push({ index, result: runner.run({ sample, config, seed: hashSeed(seed, epoch, index + (this.options.seedOffset ?? 0)) }, sampleTimeoutMs) });
      }
    };
    let clips: LoadedClip[] = [];
    try {
      for (fill(); pending.length > 0; fill()) {
        const { index, result } = pending.shift()!;
        const outcome = await result;
        if (runner.failure) throw runner.failure;
        if (outcome.ok) {
          this.stats.loaded++;
          clips.push(outcome.clip);
        } else {
          const skipped = { index, id: this.samples[index].id, code: outcome.code, reason: outcome.reason };
          this.stats.skipped.push(skipped);
          this.options.onSkip?.(skipped);
        }
        if (clips.length === batchSize) {
          const batch = collate(clips);
          clips = [];
          this.stats.batches++;
          yield batch;
        }
      }
      if (clips.length > 0 && !this.options.dropLast) {
        this.stats.batches++;
        yield collate(clips);
      }
    } finally {
      await runner.close();
      this.runner = undefined;
    }
  }

  /** Stops the workers early (also done when a `for await` loop ends or breaks). */
  async close(): Promise<void> {
    await this.runner?.close();
  }
}
