/**
 * Real data for `vatt pretrain|eval|embed --data`: a JSONL manifest or a dataset directory in its original
 * layout (read by @vatt/data, decoded by ffmpeg), or shards `vatt prepare` wrote (decoded once, streamed
 * back with no ffmpeg at all); either way augmented and batched off the main thread by @vatt/data's BatchLoader.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { loadVocabulary } from '@vatt/tokenizers';
import { BatchLoader, isShardFolder, openDataset, SHARD_INDEX_FILE, ShardSource, storedSample, type Batch, type ClipConfig } from '@vatt/data';
import type { DatasetKind, LoaderCursor, Sample } from '@vatt/data';
import type { PreprocessingConfig } from '../config/experiment.js';
import type { VattPreprocessor } from '../model/preprocess.js';
import type { PretrainBatch } from '../model/vatt.js';
import type { Clip } from './clips.js';

/** The caption vocabulary `vatt prepare` writes beside `shards.json` (every word of the prepared captions, most frequent first). */
export const SHARD_VOCABULARY_FILE = 'vocab.txt';

/** What the loader reads: media samples (decoded by ffmpeg) or prepared shards. */
export type LoaderInput = readonly Sample[] | ShardSource;

export interface SourceInfo {
  /** The layout `openDataset` recognised, or 'shards'. */
  kind: DatasetKind | 'shards';
  description: string;
  /** The samples of a media dataset; empty for shards, whose records stream from `shards`. */
  samples: Sample[];
  shards?: ShardSource;
  /** Shards: the words of the prepared captions, most frequent first (their `vocab.txt`), when it is there. */
  vocabulary?: readonly string[];
}

/**
 * True when `spec` names prepared shards rather than media: a folder of shards (its `shards.json`), a
 * `shards.json`, a `.tar` / `.tfrecord` file, a WebDataset brace pattern (`shard-{000000..000099}.tar`) or an
 * http(s) URL.
 */
export function isShardSpec(spec: string): boolean {
  if (/^https?:\/\//i.test(spec) || /\{[^}]*(\.\.|,)[^}]*\}/.test(spec)) return true;
  if (basename(spec) === SHARD_INDEX_FILE || /\.(tar|tfrecords?)$|-of-\d{5}$/i.test(spec)) return true;
  return isShardFolder(spec);
}

/** The `vocab.txt` beside local shards, if any. */
async function shardVocabulary(spec: string): Promise<readonly string[] | undefined> {
  const dir = existsSync(spec) && statSync(spec).isDirectory() ? spec : basename(spec) === SHARD_INDEX_FILE ? dirname(spec) : undefined;
  const file = dir && join(dir, SHARD_VOCABULARY_FILE);
  return file && existsSync(file) ? (await loadVocabulary(file)).words : undefined;
}

/**
 * A data source: prepared shards (see `isShardSpec`) or any layout `openDataset` of @vatt/data reads, its
 * training split, or with `evaluation` the split retrieval is measured on (MSR-VTT test, YouCook2 validation).
 * Shards hold the split they were prepared from.
 */
export async function readSource(spec: string, opts: { evaluation?: boolean } = {}): Promise<SourceInfo> {
  if (isShardSpec(spec)) {
    const shards = await ShardSource.open(spec);
    const count = shards.sampleCount === undefined ? '' : `, ${shards.sampleCount} samples`;
    const frames = shards.index ? `, ${shards.index.frames} frames at ${shards.index.settings.shortSide ?? 'native'} px` : '';
    return {
      kind: 'shards',
      description: `${shards.shards.length} ${shards.format} shard${shards.shards.length === 1 ? '' : 's'}${count}${frames}`,
      samples: [],
      shards,
      vocabulary: await shardVocabulary(spec),
    };
  }
  const d = await openDataset(spec);
  return { kind: d.kind, description: d.description, samples: opts.evaluation ? d.test : d.train };
}

/** The captions of every record of `shards` (streams them all: what a missing `vocab.txt` costs). */
export async function shardCaptions(shards: ShardSource): Promise<string[]> {
  const captions: string[] = [];
  for (let i = 0; i < shards.shards.length; i++) {
    for await (const clip of shards.records(i)) for (const c of storedSample(clip.meta).captions ?? []) captions.push(typeof c === 'string' ? c : c.text);
  }
  return captions;
}

/** The loader clip config matching the model's preprocessing. */
export function clipConfigFor(pre: PreprocessingConfig, mode: 'train' | 'eval'): ClipConfig {
  return {
    mode,
    video: { numFrames: pre.video.frames, fps: pre.video.fps, size: pre.video.height },
    audio: { sampleRate: pre.audio.sampleRate, numSamples: pre.audio.samples },
    numCaptions: pre.text.numCandidates,
  };
}

/** A batch from the loader as model inputs (tensors owned by the caller). */
export function pretrainBatchFromLoader(pre: VattPreprocessor, b: Batch): PretrainBatch {
  if (!b.video || !b.audio || !b.videoShape || !b.audioShape) throw new Error('pretraining needs video and audio in every clip');
  const n = b.ids.length;
  const per = b.video.length / n;
  const aper = b.audio.length / n;
  const clips = Array.from({ length: n }, (_, i) => ({
    video: b.video!.subarray(i * per, (i + 1) * per),
    audio: b.audio!.subarray(i * aper, (i + 1) * aper),
    captions: b.captions[i],
  }));
  return pre.pretrainBatch(clips, b.textMask);
}

/**
 * An endless stream of training batches (shuffled per epoch, augmented, batches running on across epoch
 * boundaries), each with the loader cursor after it. Given the cursor saved with a checkpoint, the stream
 * goes on with exactly the batches the uninterrupted run saw next, skipped samples included.
 */
export async function* loaderBatches(
  input: LoaderInput,
  pre: PreprocessingConfig,
  opts: { batchSize: number; seed: number; cursor?: LoaderCursor; workers?: number; onSkip?: (id: string, reason: string) => void },
): AsyncGenerator<{ batch: Batch; epoch: number; cursor: LoaderCursor }> {
  const loader = new BatchLoader(input, {
    batchSize: opts.batchSize,
    clip: clipConfigFor(pre, 'train'),
    seed: opts.seed,
    epochs: Infinity,
    cursor: opts.cursor,
    workers: opts.workers,
    // pretrainBatchFromLoader turns each batch into tensors before the next is asked for.
    reuseBatchArrays: true,
    onSkip: (s) => opts.onSkip?.(s.id, `${s.code}: ${s.reason}`),
  });
  for await (const batch of loader) yield { batch, epoch: batch.epoch ?? 0, cursor: loader.cursor() };
}

/** Decodes `input` for evaluation (one centred clip each) as Clips; skipped samples are reported. */
export async function evaluationClips(
  input: LoaderInput,
  pre: PreprocessingConfig,
  opts: { workers?: number } = {},
): Promise<{ clips: Clip[]; skipped: Array<{ id: string; reason: string }> }> {
  const loader = new BatchLoader(input, { batchSize: 8, clip: clipConfigFor(pre, 'eval'), shuffle: false, workers: opts.workers });
  const clips: Clip[] = [];
  for await (const b of loader) {
    const n = b.ids.length;
    for (let i = 0; i < n; i++) {
      const vper = b.video!.length / n;
      const aper = b.audio!.length / n;
      clips.push({
        id: b.ids[i],
        video: b.video!.slice(i * vper, (i + 1) * vper),
        audio: b.audio!.slice(i * aper, (i + 1) * aper),
        captions: b.captions[i],
        label: b.labels[i] === undefined ? undefined : String(b.labels[i]),
      });
    }
  }
  return { clips, skipped: loader.stats.skipped.map((s) => ({ id: s.id, reason: `${s.code}: ${s.reason}` })) };
}
