/**
 * Real data for `vatt pretrain --data` and `vatt eval retrieval --data`: a JSONL manifest or a dataset
 * directory in its original layout, read by @vatt/data, decoded by ffmpeg, augmented and batched off the
 * main thread by its BatchLoader.
 */
import { BatchLoader, readHowTo100M, readManifest, readMsrVtt, readYouCook2, type Batch, type ClipConfig, type Sample } from '@vatt/data';
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, promises as fs, statSync } from 'node:fs';
import * as path from 'node:path';
import type { PreprocessingConfig } from '../model/config.js';
import type { VattPreprocessor } from '../model/preprocess.js';
import type { PretrainBatch } from '../model/vatt.js';
import { candidateCaptions, type Clip } from './clips.js';
import { epochOrder } from './order.js';

export interface SourceInfo {
  /** What was recognised: 'manifest', 'howto100m', 'msrvtt', 'youcook2'. */
  kind: string;
  samples: Sample[];
}

const videoRootOf = (dir: string) => (existsSync(path.join(dir, 'videos')) ? path.join(dir, 'videos') : dir);

/**
 * Reads a data source: a `.jsonl` manifest ({video, audio?, captions?, label?} per line), or a directory
 * holding HowTo100M's `caption.json`, MSR-VTT's `*videodatainfo.json` / `MSRVTT_data.json`, or YouCook2's
 * `youcookii_annotations_trainval.json` (videos beside it or in `videos/`).
 */
export async function readSource(spec: string, opts: { evaluation?: boolean } = {}): Promise<SourceInfo> {
  if (!existsSync(spec)) throw new Error(`--data ${spec}: no such file or directory (expected "embedded", a .jsonl manifest or a dataset directory)`);
  if (statSync(spec).isFile()) {
    if (spec.endsWith('.jsonl')) return { kind: 'manifest', samples: await readManifest(spec) };
    if (/videodatainfo\.json$|MSRVTT_data\.json$/.test(spec))
      return {
        kind: 'msrvtt',
        samples: await readMsrVtt({ videodatainfo: spec, videoRoot: videoRootOf(path.dirname(spec)), split: opts.evaluation ? 'test' : undefined }),
      };
    throw new Error(`--data ${spec}: a file source must be a .jsonl manifest or an MSR-VTT videodatainfo JSON`);
  }
  const names = await fs.readdir(spec);
  const root = videoRootOf(spec);
  if (names.includes('caption.json'))
    return { kind: 'howto100m', samples: await readHowTo100M({ captionJson: path.join(spec, 'caption.json'), videoRoot: root }) };
  const msr = names.find((n) => /videodatainfo\.json$|^MSRVTT_data\.json$/.test(n));
  if (msr)
    return { kind: 'msrvtt', samples: await readMsrVtt({ videodatainfo: path.join(spec, msr), videoRoot: root, split: opts.evaluation ? 'test' : undefined }) };
  if (names.includes('youcookii_annotations_trainval.json')) {
    return {
      kind: 'youcook2',
      samples: await readYouCook2({
        annotations: path.join(spec, 'youcookii_annotations_trainval.json'),
        videoRoot: root,
        subset: opts.evaluation ? 'validation' : 'training',
      }),
    };
  }
  const manifest = names.find((n) => n.endsWith('.jsonl'));
  if (manifest) return { kind: 'manifest', samples: await readManifest(path.join(spec, manifest)) };
  throw new Error(`--data ${spec}: no recognised layout (a *.jsonl manifest, caption.json, *videodatainfo.json or youcookii_annotations_trainval.json)`);
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
  const clips = Array.from({ length: n }, (_, i) => b.video!.subarray(i * per, (i + 1) * per));
  const aper = b.audio.length / n;
  const waves = Array.from({ length: n }, (_, i) => b.audio!.subarray(i * aper, (i + 1) * aper));
  const captions = candidateCaptions(b.captions, pre.config.text.numCandidates);
  const { patches, grid } = pre.videoPatches(clips);
  return {
    videoPatches: patches,
    videoGrid: grid,
    audioPatches: pre.audioPatches(waves),
    textIds: pre.textIds(captions),
    textMask: tf.tensor1d(Array.from(b.textMask), 'float32'),
  };
}

/**
 * An endless stream of training batches from `samples`. `startStep` skips whole batches' worth of samples
 * of the deterministic per-epoch order (without decoding them), so a resumed run sees the batches the
 * uninterrupted run would have seen, with the same augmentation draws (each clip's seed follows its
 * position in the epoch).
 */
export async function* loaderBatches(
  samples: readonly Sample[],
  pre: PreprocessingConfig,
  opts: { batchSize: number; seed: number; startStep: number; workers?: number; onSkip?: (id: string, reason: string) => void },
) {
  const perEpoch = Math.floor(samples.length / opts.batchSize);
  if (perEpoch < 1) throw new Error(`pretrain: batch size ${opts.batchSize} exceeds the ${samples.length} samples`);
  let epoch = Math.floor(opts.startStep / perEpoch);
  let offset = (opts.startStep % perEpoch) * opts.batchSize;
  for (;;) {
    const order = Array.from(epochOrder(samples.length, opts.seed, epoch));
    const loader = new BatchLoader(
      order.slice(offset).map((i) => samples[i]),
      {
        batchSize: opts.batchSize,
        clip: clipConfigFor(pre, 'train'),
        seed: opts.seed * 7919 + epoch,
        seedOffset: offset,
        shuffle: false,
        dropLast: true,
        workers: opts.workers,
        onSkip: (s) => opts.onSkip?.(s.id, `${s.code}: ${s.reason}`),
      },
    );
    for await (const b of loader) yield { batch: b, epoch };
    epoch++;
    offset = 0;
  }
}

/** Decodes `samples` for evaluation (one centred clip each) as Clips; skipped samples are reported. */
export async function evaluationClips(
  samples: readonly Sample[],
  pre: PreprocessingConfig,
  opts: { workers?: number } = {},
): Promise<{ clips: Clip[]; skipped: Array<{ id: string; reason: string }> }> {
  const loader = new BatchLoader(samples, { batchSize: 8, clip: clipConfigFor(pre, 'eval'), shuffle: false, workers: opts.workers });
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
