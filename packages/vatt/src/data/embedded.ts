/** The embedded dataset of `@vatt/data` as training and held-out clips at the model's preprocessing size. */
import { EmbeddedDataset, type EmbeddedClip } from '@vatt/data/embedded';
import type { PreprocessingConfig } from '../config/experiment.js';
import type { Clip, ClipDataset } from './clips.js';

export interface EmbeddedSplits {
  train: ClipDataset;
  heldout: Clip[];
  vocab: string[];
  dataset: EmbeddedDataset;
}

const toClip = (c: EmbeddedClip): Clip => ({
  id: c.id,
  video: c.video,
  audio: c.audio,
  captions: c.captions,
  label: `${c.attributes.color} ${c.attributes.shape} ${c.attributes.motion}`,
});

/** The embedded dataset at the size `pre` describes (frames, frame size, fps, sample rate, clip length, captions per clip). */
export function embeddedDatasetFor(
  pre: PreprocessingConfig,
  seed: number,
  options: { trainVariants?: number; heldoutCombinations?: number } = {},
): EmbeddedDataset {
  return new EmbeddedDataset({
    seed,
    frames: pre.video.frames,
    height: pre.video.height,
    width: pre.video.width,
    fps: pre.video.fps,
    sampleRate: pre.audio.sampleRate,
    samples: pre.audio.samples,
    numCandidates: pre.text.numCandidates,
    ...options,
  });
}

/** The embedded dataset for `pre` from `seed`, as training clips, held-out clips and its vocabulary. */
export function embeddedSplits(pre: PreprocessingConfig, seed: number, options: { trainVariants?: number; heldoutCombinations?: number } = {}): EmbeddedSplits {
  const dataset = embeddedDatasetFor(pre, seed, options);
  const train = dataset.train.map(toClip);
  return { train: { size: train.length, clip: (i) => train[i] }, heldout: dataset.heldout.map(toClip), vocab: [...dataset.vocab], dataset };
}
