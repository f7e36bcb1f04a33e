/**
 * Real data for `vatt pretrain --data` and `vatt eval retrieval --data`: a JSONL manifest or a dataset
 * directory in its original layout, read by @vatt/data, decoded by ffmpeg, augmented and batched off the
 * main thread by its BatchLoader.
 */
import { BatchLoader, openDataset, type Batch, type ClipConfig, type DatasetKind, type Sample } from '@vatt/data';
import type { PreprocessingConfig } from '../config/experiment.js';
import type { VattPreprocessor } from '../model/preprocess.js';
import type { PretrainBatch } from '../model/vatt.js';
import type { Clip } from './clips.js';
import { epochOrder } from './order.js';

export interface SourceInfo {
  /** The layout `openDataset` recognised. */
  kind: DatasetKind;
  description: string;
  samples: Sample[];
}

/**
 * The samples of a data source (any layout `openDataset` of @vatt/data reads): the training split, or with
 * `evaluation` the split retrieval is measured on (MSR-VTT test, YouCook2 validation).
 */
export async function readSource(spec: string, opts: { evaluation?: boolean } = {}): Promise<SourceInfo> {
  const d = await openDataset(spec);
  return { kind: d.kind, description: d.description, samples: opts.evaluation ? d.test : d.train };
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
