/**
 * The standard labelled benchmarks in their published layouts (../shared/docs/datasets.md), as
 * `LabelledSource`s for `vatt eval linear | finetune`:
 *
 * - ESC-50 (`meta/esc50.csv`, `audio/`): audio, 50 classes, leave-one-fold-out (`split` = held-out fold 1-5).
 * - UCF101 (`ucfTrainTestlist/` beside the class folders, or beside `UCF-101/`): video, official split 1-3.
 * - HMDB51 (`testTrainMulti_7030_splits/` or `splits/` beside the class folders): video, official split 1-3.
 * - Kinetics (`train.csv` and `validate.csv`/`val.csv`, clips in `videos/`, `train/`+`val/`, or beside the
 *   CSVs, flat or in per-label folders): video, train / validation.
 *
 * Audio examples are `clips` uniformly spaced windows of the model's length; video examples are
 * `clips` uniformly spaced clips at the model's frame rate, decoded with the short side at the
 * model's size, centre-cropped for training and in 3 crops for testing (spec 8.4). Samples whose
 * media file is missing are skipped and counted (Kinetics sets always miss some).
 */
import { existsSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { decodeAudio, decodeVideo, leaveOneFoldOut, readCsv, readEsc50, readHmdb51Split, readKinetics, readUcf101Split, type Sample } from '@vatt/data';
import type { PreprocessingConfig } from '../model/config.js';
import type { ClassificationExample } from './finetune.js';
import type { LabelledSource, Modality, SourceOptions } from './sources.js';
import { audioWindows, multiViewClips } from './views.js';

export type DatasetLayout = 'esc50' | 'ucf101' | 'hmdb51' | 'kinetics';

const HMDB_SPLIT_DIRS = ['testTrainMulti_7030_splits', 'splits'];

/** Which benchmark layout `dir` holds, or null (then it is read as class folders). */
export function detectLayout(dir: string): DatasetLayout | null {
  if (existsSync(path.join(dir, 'meta', 'esc50.csv'))) return 'esc50';
  if (existsSync(path.join(dir, 'ucfTrainTestlist', 'classInd.txt'))) return 'ucf101';
  if (HMDB_SPLIT_DIRS.some((d) => existsSync(path.join(dir, d)))) return 'hmdb51';
  if (existsSync(path.join(dir, 'train.csv')) && ['validate.csv', 'val.csv'].some((f) => existsSync(path.join(dir, f)))) return 'kinetics';
  return null;
}

function checkSplit(value: number | undefined, max: number, what: string): number {
  const s = value ?? 1;
  if (!(Number.isInteger(s) && s >= 1 && s <= max)) throw new Error(`--split: ${what} has splits 1-${max}, got ${value}`);
  return s;
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

async function examplesOf(
  samples: Sample[],
  labelOf: (s: Sample) => number,
  modality: Modality,
  pre: PreprocessingConfig,
  clips: number,
  test: boolean,
): Promise<{ examples: ClassificationExample[]; missing: string[] }> {
  const examples: ClassificationExample[] = [];
  const missing: string[] = [];
  for (const s of samples) {
    const file = modality === 'audio' ? (s.audio ?? s.video) : s.video;
    if (!file || !existsSync(file)) {
      missing.push(file ?? s.id);
      continue;
    }
    if (modality === 'audio') {
      const wave = await decodeAudio(file, { sampleRate: pre.audio.sampleRate });
      examples.push({ views: audioWindows(wave, pre.audio.samples, clips), label: labelOf(s) });
    } else {
      const size = pre.video.height;
      const v = await decodeVideo(file, { fps: pre.video.fps, width: size, height: size, resize: 'shortSide' });
      const views = multiViewClips(v.frames, [v.numFrames, v.height, v.width], pre.video.frames, size, clips, test ? 3 : 1);
      examples.push({ views, label: labelOf(s) });
    }
  }
  return { examples, missing };
}

async function build(
  description: string,
  modality: Modality,
  classes: string[],
  split: { train: Sample[]; test: Sample[] },
  labelOf: (s: Sample) => number,
  pre: PreprocessingConfig,
  opts: SourceOptions,
): Promise<LabelledSource> {
  if (modality === 'video' && pre.video.height !== pre.video.width)
    throw new Error(`${description}: video datasets need a square model input, got ${pre.video.height}x${pre.video.width}`);
  const cap = opts.maxPerClass ?? 40;
  const clips = opts.clips ?? 4;
  const train = await examplesOf(capPerClass(split.train, cap), labelOf, modality, pre, clips, false);
  const test = await examplesOf(capPerClass(split.test, cap), labelOf, modality, pre, clips, true);
  const missing = train.missing.length + test.missing.length;
  if (!train.examples.length || !test.examples.length) {
    const example = [...train.missing, ...test.missing][0];
    throw new Error(
      `${description}: no ${!train.examples.length ? 'training' : 'test'} examples could be read (${missing} media files ` +
        `missing${example ? `, e.g. ${example}` : ''})`,
    );
  }
  const note = missing ? `; ${missing} samples skipped (media file missing)` : '';
  return { description: `${description}${note}`, modality, classes, train: train.examples, test: test.examples, preprocessing: pre };
}

/** Loads the benchmark in `dir` (a layout `detectLayout` found). */
export async function loadDatasetSource(dir: string, layout: DatasetLayout, pre: PreprocessingConfig, opts: SourceOptions): Promise<LabelledSource> {
  switch (layout) {
    case 'esc50': {
      const fold = checkSplit(opts.split, 5, 'ESC-50');
      const samples = await readEsc50({ root: dir });
      const rows = await readCsv(path.join(dir, 'meta', 'esc50.csv'), { required: ['target', 'category'] });
      const names = new Map(rows.map(({ record }) => [Number(record.target), record.category]));
      const targets = [...names.keys()].sort((a, b) => a - b);
      const index = new Map(targets.map((t, i) => [t, i]));
      return build(
        `ESC-50 in ${dir}, fold ${fold} held out`,
        'audio',
        targets.map((t) => names.get(t)!),
        leaveOneFoldOut(samples, fold),
        (s) => index.get(Number(s.label))!,
        pre,
        opts,
      );
    }
    case 'ucf101': {
      const split = checkSplit(opts.split, 3, 'UCF101') as 1 | 2 | 3;
      const videoRoot = existsSync(path.join(dir, 'UCF-101')) ? path.join(dir, 'UCF-101') : dir;
      const { train, test, classes } = await readUcf101Split({ listDir: path.join(dir, 'ucfTrainTestlist'), videoRoot, split });
      return build(`UCF101 in ${dir}, split ${split}`, 'video', classes, { train, test }, (s) => Number(s.label), pre, opts);
    }
    case 'hmdb51': {
      const split = checkSplit(opts.split, 3, 'HMDB51') as 1 | 2 | 3;
      const splitDir = path.join(
        dir,
        HMDB_SPLIT_DIRS.find((d) => existsSync(path.join(dir, d)))!,
      );
      const { train, test } = await readHmdb51Split({ splitDir, videoRoot: dir, split });
      const classes = [...new Set([...train, ...test].map((s) => String(s.label)))].sort();
      const index = new Map(classes.map((c, i) => [c, i]));
      return build(`HMDB51 in ${dir}, split ${split}`, 'video', classes, { train, test }, (s) => index.get(String(s.label))!, pre, opts);
    }
    case 'kinetics': {
      const valCsv = ['validate.csv', 'val.csv'].map((f) => path.join(dir, f)).find((f) => existsSync(f))!;
      const rootFor = (kind: 'train' | 'val'): string => {
        for (const d of kind === 'train' ? ['train', 'videos'] : ['val', 'validate', 'videos']) if (existsSync(path.join(dir, d))) return path.join(dir, d);
        return dir;
      };
      const read = async (csv: string, root: string): Promise<Sample[]> => {
        // Per-label folders when the first labelled row's folder exists.
        const flat = await readKinetics({ csv, videoRoot: root });
        const first = flat.find((s) => s.label !== undefined);
        const byLabel =
          first &&
          (await fs.stat(path.join(root, String(first.label))).then(
            (st) => st.isDirectory(),
            () => false,
          ));
        return (byLabel ? await readKinetics({ csv, videoRoot: root, layout: 'byLabel' }) : flat).filter((s) => s.label !== undefined);
      };
      const train = await read(path.join(dir, 'train.csv'), rootFor('train'));
      const test = await read(valCsv, rootFor('val'));
      const classes = [...new Set(train.map((s) => String(s.label)))].sort();
      const index = new Map(classes.map((c, i) => [c, i]));
      const known = (s: Sample) => index.has(String(s.label));
      return build(
        `Kinetics in ${dir}, train / ${path.basename(valCsv)}`,
        'video',
        classes,
        { train, test: test.filter(known) },
        (s) => index.get(String(s.label))!,
        pre,
        opts,
      );
    }
  }
}
