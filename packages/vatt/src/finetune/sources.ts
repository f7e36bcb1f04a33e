/**
 * Labelled data for the probes and fine-tuning, as `ClassificationExample`s at a model's input size:
 *
 * - `embedded`: the embedded dataset (`@vatt/data`), labels = one attribute (color | shape | motion);
 *   train = its training clips, test = its held-out clips (unseen attribute combinations included).
 * - ESC-50, UCF101, HMDB51 or Kinetics in their published layouts (finetune/datasets.ts).
 * - a directory with one sub-directory per class (`<dir>/<class>/.../<file>`, nested folders included): audio files (wav, flac, ogg,
 *   mp3, ...) decoded through `@vatt/data` (ffmpeg) at the model's sample rate, cut into uniformly
 *   spaced windows; or images (png, jpg, ...) resized to the model's frame size and tiled along time to
 *   the temporal patch size (single-frame videos, spec 1.1 / 8.3). Each class is split train/test
 *   by a seeded shuffle. A folder holding both kinds uses the images (modality 'video') or the audio
 *   files (modality 'audio').
 */
import { decodeAudio, decodeVideo, EmbeddedDataset, MOTIONS, COLORS, SHAPES } from '@vatt/data';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { PreprocessingConfig } from '../model/config.js';
import type { ClassificationExample } from './finetune.js';
import { audioWindows, tileImage } from './views.js';
import { detectLayout, loadDatasetSource } from './datasets.js';

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
  /** Embedded data: which tower to probe / fine-tune (default 'video'). */
  modality?: Modality;
  /** Views per test example (audio windows; default 4). Training examples get the same windows as views. */
  clips?: number;
  /** Fraction of each class held out for testing (directories; default 0.3). */
  testFraction?: number;
  /** Seed of the embedded dataset and the directory split (default 0). */
  seed?: number;
  /** Cap on files per class (directories; default 40). */
  maxPerClass?: number;
  /** Benchmarks: the ESC-50 fold held out (1-5) or the UCF101 / HMDB51 split (1-3); default 1. */
  split?: number;
}

const AUDIO_EXT = /\.(wav|flac|ogg|oga|mp3|m4a|aac|opus)$/i;
const IMAGE_EXT = /\.(png|jpe?g|bmp|gif|webp)$/i;

function seededShuffle<T>(xs: T[], seed: number): T[] {
  let s = (seed ^ 0x2545f491) >>> 0;
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Every file under `dir` (following symbolic links), recursively. */
async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    const isDir = e.isDirectory() || (e.isSymbolicLink() && (await fs.stat(p)).isDirectory());
    if (isDir) out.push(...(await walk(p)));
    else out.push(p);
  }
  return out;
}

/** Loads `embedded`, a benchmark in its published layout (ESC-50, UCF101, HMDB51, Kinetics), or a class-per-folder directory. */
export async function loadLabelledSource(source: string, pre: PreprocessingConfig, opts: SourceOptions = {}): Promise<LabelledSource> {
  if (source === 'embedded') return embeddedSource(pre, opts);
  const layout = detectLayout(source);
  return layout ? loadDatasetSource(source, layout, pre, opts) : directorySource(source, pre, opts);
}

function embeddedSource(pre: PreprocessingConfig, opts: SourceOptions): LabelledSource {
  const label = opts.label ?? 'shape';
  const classes = EMBEDDED_LABELS[label] as readonly string[] | undefined;
  if (!classes) throw new Error(`--label must be one of ${Object.keys(EMBEDDED_LABELS).join(', ')}, got "${label}"`);
  const modality = opts.modality ?? 'video';
  if (modality !== 'video' && modality !== 'audio') throw new Error(`--modality must be video or audio, got "${modality as string}"`);
  const d = new EmbeddedDataset({
    seed: opts.seed ?? 0,
    frames: pre.video.frames,
    height: pre.video.height,
    width: pre.video.width,
    fps: pre.video.fps,
    sampleRate: pre.audio.sampleRate,
    samples: pre.audio.samples,
    numCandidates: pre.text.numCandidates,
  });
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

async function directorySource(dir: string, pre: PreprocessingConfig, opts: SourceOptions): Promise<LabelledSource> {
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    throw new Error(`--data ${dir}: not "embedded" and not a readable directory`);
  }
  const classes = (
    await Promise.all(
      entries.map(async (e) => (e.isDirectory() || (e.isSymbolicLink() && (await fs.stat(path.join(dir, e.name))).isDirectory()) ? e.name : null)),
    )
  )
    .filter((n): n is string => n !== null)
    .sort();
  if (classes.length < 2) throw new Error(`--data ${dir}: expected one sub-directory per class (at least 2), found ${classes.length}`);
  const listed = await Promise.all(classes.map((c) => walk(path.join(dir, c))));
  const audio = listed.flat().filter((f) => AUDIO_EXT.test(f)).length;
  const image = listed.flat().filter((f) => IMAGE_EXT.test(f)).length;
  if (!audio && !image) throw new Error(`--data ${dir}: no audio or image files in the class folders`);
  // One kind of file only: it decides the tower. Both kinds: `modality` picks (video = images).
  const modality: Modality = audio && image ? (opts.modality ?? 'video') : audio ? 'audio' : 'video';
  const files = listed.map((l) => l.filter((f) => (modality === 'audio' ? AUDIO_EXT : IMAGE_EXT).test(f)).sort());
  const seed = opts.seed ?? 0;
  const frac = opts.testFraction ?? 0.3;
  const clips = opts.clips ?? 4;
  const preprocessing: PreprocessingConfig = modality === 'video' ? { ...pre, video: { ...pre.video, frames: pre.video.patchSize[0] } } : pre;
  const load = async (file: string): Promise<Array<Uint8Array | Float32Array>> => {
    if (modality === 'audio') {
      const wave = await decodeAudio(file, { sampleRate: pre.audio.sampleRate });
      return audioWindows(wave, pre.audio.samples, clips);
    }
    const { frames } = await decodeVideo(file, { width: pre.video.width, height: pre.video.height, numFrames: 1 });
    return [tileImage(frames.subarray(0, pre.video.height * pre.video.width * 3), pre.video.height, pre.video.width, preprocessing.video.frames)];
  };
  const train: ClassificationExample[] = [];
  const test: ClassificationExample[] = [];
  for (let c = 0; c < classes.length; c++) {
    const chosen = seededShuffle(files[c], seed * 31 + c).slice(0, opts.maxPerClass ?? 40);
    const nTest = chosen.length >= 2 ? Math.max(1, Math.round(chosen.length * frac)) : 0;
    for (let i = 0; i < chosen.length; i++) {
      const views = await load(chosen[i]);
      (i < nTest ? test : train).push({ views, label: c });
    }
  }
  if (!train.length || !test.length) throw new Error(`--data ${dir}: too few files for a train/test split (${train.length} train, ${test.length} test)`);
  return {
    description: `${dir}: ${classes.length} classes of ${modality === 'audio' ? 'audio files' : 'images (single-frame videos)'}`,
    modality,
    classes,
    train,
    test,
    preprocessing,
  };
}
