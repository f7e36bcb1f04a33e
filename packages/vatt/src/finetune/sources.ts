/**
 * Labelled data for the probes and fine-tuning, as `ClassificationExample`s at a model's input size:
 *
 * - `embedded`: the embedded dataset (`@vatt/data`), labels = one attribute (color | shape | motion);
 *   train = its training clips, test = its held-out clips (unseen attribute combinations included).
 * - anything `openDataset` (@vatt/data) reads with labels: ESC-50, UCF101, HMDB51 or Kinetics in their
 *   published layouts, or a folder with one sub-folder per class of audio files or images.
 *
 * Audio examples are `clips` uniformly spaced windows of the model's length. Video examples are `clips`
 * uniformly spaced clips at the model's frame rate, decoded with the short side at the model's size,
 * centre-cropped for training and in 3 crops for testing (docs/numerics.md §8.1). Images are resized to the
 * model's frame size and tiled along time to the temporal patch size (single-frame videos, §1.1 / §8.3).
 * Samples whose media file is missing are skipped and counted (Kinetics sets always miss some).
 */
import { existsSync } from 'node:fs';
import { COLORS, decodeAudio, decodeVideo, MOTIONS, openDataset, SHAPES, type OpenedDataset, type Sample } from '@vatt/data';
import { embeddedDatasetFor } from '../data/embedded.js';
import type { PreprocessingConfig } from '../config/experiment.js';
import type { ClassificationExample } from './finetune.js';
import { audioWindows, multiViewClips, tileImage } from './views.js';

export type Modality = 'video' | 'audio';
export const EMBEDDED_LABELS = { color: COLORS, shape: SHAPES, motion: MOTIONS } as const;
export type EmbeddedLabel = keyof typeof EMBEDDED_LABELS;

export interface LabelledSource {
  /** Where the data came from, for reports. */
  description: string;
  modality: Modality;
  classes: string[];
  train: ClassificationExample[];
  test: ClassificationExample[];
  /** The preprocessing the examples match (images: frames = the temporal patch size). */
  preprocessing: PreprocessingConfig;
}

export interface SourceOptions {
  /** Embedded data: the attribute to classify (default 'shape'). */
  label?: EmbeddedLabel;
  /** Embedded data: which tower to probe / fine-tune (default 'video'); class folders with both kinds of file: which kind. */
  modality?: Modality;
  /** Views per example (audio windows, video clips; default 4). */
  clips?: number;
  /** Fraction of each class held out for testing (class folders; default 0.3). */
  testFraction?: number;
  /** Seed of the embedded dataset and of the class-folder split (default 0). */
  seed?: number;
  /** Cap on files per class and split (default 40). */
  maxPerClass?: number;
  /** Benchmarks: the ESC-50 fold held out (1-5) or the UCF101 / HMDB51 split (1-3); default 1. */
  split?: number;
}

/** Loads `embedded`, a benchmark in its published layout (ESC-50, UCF101, HMDB51, Kinetics), or a class-per-folder directory. */
export async function loadLabelledSource(source: string, pre: PreprocessingConfig, opts: SourceOptions = {}): Promise<LabelledSource> {
  if (source === 'embedded') return embeddedSource(pre, opts);
  const d = await openDataset(source, {
    split: opts.split,
    modality: opts.modality,
    testFraction: opts.testFraction,
    seed: opts.seed,
    maxPerClass: opts.maxPerClass ?? 40,
  });
  if (!d.classes || !d.modality) throw new Error(`${source}: a ${d.kind} dataset has no class labels to classify (use a labelled benchmark or class folders)`);
  return labelledSource(d, d.modality, pre, opts);
}

function embeddedSource(pre: PreprocessingConfig, opts: SourceOptions): LabelledSource {
  const label = opts.label ?? 'shape';
  const classes = EMBEDDED_LABELS[label] as readonly string[] | undefined;
  if (!classes) throw new Error(`--label must be one of ${Object.keys(EMBEDDED_LABELS).join(', ')}, got "${label}"`);
  const modality = opts.modality ?? 'video';
  if (modality !== 'video' && modality !== 'audio') throw new Error(`--modality must be video or audio, got "${modality as string}"`);
  const d = embeddedDatasetFor(pre, opts.seed ?? 0);
  const toExample = (c: (typeof d.train)[number]): ClassificationExample => ({
    views: [modality === 'video' ? c.video : c.audio],
    label: classes.indexOf(c.attributes[label]),
  });
  return {
    description: `embedded dataset, label = ${label}, ${modality} tower`,
    modality,
    classes: [...classes],
    train: d.train.map(toExample),
    test: d.heldout.map(toExample),
    preprocessing: pre,
  };
}

/** Up to `cap` samples per class (in a stable order: the dataset's), keeping the classes. */
function capPerClass(samples: Sample[], cap: number): Sample[] {
  const seen = new Map<string | number | undefined, number>();
  return samples.filter((s) => {
    const n = seen.get(s.label) ?? 0;
    seen.set(s.label, n + 1);
    return n < cap;
  });
}

async function labelledSource(d: OpenedDataset, modality: Modality, pre: PreprocessingConfig, opts: SourceOptions): Promise<LabelledSource> {
  const images = d.kind === 'class-folders' && modality === 'video';
  // Images are single-frame videos: as many frames as one temporal patch.
  const preprocessing: PreprocessingConfig = images ? { ...pre, video: { ...pre.video, frames: pre.video.patchSize[0] } } : pre;
  if (modality === 'video' && !images && pre.video.height !== pre.video.width) {
    throw new Error(`${d.description}: video datasets need a square model input, got ${pre.video.height}x${pre.video.width}`);
  }
  const clips = opts.clips ?? 4;
  const load = async (file: string, test: boolean): Promise<Array<Uint8Array | Float32Array>> => {
    if (modality === 'audio') return audioWindows(await decodeAudio(file, { sampleRate: pre.audio.sampleRate }), pre.audio.samples, clips);
    if (images) {
      const { frames } = await decodeVideo(file, { width: pre.video.width, height: pre.video.height, numFrames: 1 });
      return [tileImage(frames.subarray(0, pre.video.height * pre.video.width * 3), pre.video.height, pre.video.width, preprocessing.video.frames)];
    }
    const size = pre.video.height;
    const v = await decodeVideo(file, { fps: pre.video.fps, width: size, height: size, resize: 'shortSide' });
    return multiViewClips(v.frames, [v.numFrames, v.height, v.width], pre.video.frames, size, clips, test ? 3 : 1);
  };
  const examplesOf = async (samples: Sample[], test: boolean) => {
    const examples: ClassificationExample[] = [];
    const missing: string[] = [];
    for (const s of capPerClass(samples, opts.maxPerClass ?? 40)) {
      const file = modality === 'audio' ? (s.audio ?? s.video) : s.video;
      if (!file || !existsSync(file)) missing.push(file ?? s.id);
      else examples.push({ views: await load(file, test), label: Number(s.label) });
    }
    return { examples, missing };
  };
  const train = await examplesOf(d.train, false);
  const test = await examplesOf(d.test, true);
  const missing = train.missing.length + test.missing.length;
  if (!train.examples.length || !test.examples.length) {
    const example = [...train.missing, ...test.missing][0];
    throw new Error(
      `${d.description}: no ${!train.examples.length ? 'training' : 'test'} examples could be read (${missing} media files ` +
        `missing${example ? `, e.g. ${example}` : ''})`,
    );
  }
  const note = missing ? `; ${missing} samples skipped (media file missing)` : '';
  return { description: `${d.description}${note}`, modality, classes: d.classes!, train: train.examples, test: test.examples, preprocessing };
}
