/**
 * One entry point for every dataset a user can point at: it recognises the layout of a file or folder and
 * reads it with the matching reader, so that training, evaluation and fine-tuning agree on what a path
 * means (each reader documents its layout).
 *
 * - a `.jsonl` manifest (`{video, audio?, captions?, label?}` per line), or a folder holding one;
 * - HowTo100M (`caption.json`), MSR-VTT (`*videodatainfo.json` / `MSRVTT_data.json`), YouCook2
 *   (`youcookii_annotations_trainval.json`), videos beside them or in `videos/`;
 * - the labelled benchmarks: ESC-50 (`meta/esc50.csv`), UCF101 (`ucfTrainTestlist/`), HMDB51
 *   (`testTrainMulti_7030_splits/` or `splits/`), Kinetics (`train.csv` + `validate.csv` / `val.csv`);
 * - a folder with one sub-folder per class of audio files or images;
 * - any other folder of video files (a user's own collection, searched through): one sample per file, no captions.
 */
import { existsSync, promises as fs, statSync } from 'node:fs';
import * as path from 'node:path';
import { hashSeed, Rng } from '@vatt/tokenizers/random';
import { readHmdb51Split, readUcf101Split } from './action-splits.js';
import { leaveOneFoldOut, readEsc50 } from './esc50.js';
import { readCsv } from './files.js';
import { readHowTo100M } from './howto100m.js';
import { readKinetics } from './kinetics.js';
import { readManifest } from './manifest.js';
import { readMsrVtt } from './msrvtt.js';
import type { Sample } from './sample.js';
import { readYouCook2 } from './youcook2.js';

export type DatasetKind = 'manifest' | 'howto100m' | 'msrvtt' | 'youcook2' | 'esc50' | 'ucf101' | 'hmdb51' | 'kinetics' | 'class-folders' | 'media-folder';

/** What `openDataset` found. */
export interface OpenedDataset {
  kind: DatasetKind;
  /** Where it came from and which split, for reports. */
  description: string;
  /** Training samples (captioned datasets: the training split, or everything when there is none). */
  train: Sample[];
  /** Evaluation samples (MSR-VTT test, YouCook2 validation, the benchmark's test split or fold). */
  test: Sample[];
  /** Labelled datasets: class names, index = the samples' numeric `label`. */
  classes?: string[];
  /** Labelled datasets: the tower the files feed. */
  modality?: 'audio' | 'video';
}

export interface OpenDatasetOptions {
  /** ESC-50: the held-out fold (1-5); UCF101 / HMDB51: the official split (1-3). Default 1. */
  split?: number;
  /** Class folders of audio files and images both: which to read (default `video`, the images). */
  modality?: 'audio' | 'video';
  /** Class folders: the share of each class held out for testing (default 0.3), and the split's seed. */
  testFraction?: number;
  seed?: number;
  /** Class folders: at most this many files per class (chosen by the seeded shuffle) before the split. */
  maxPerClass?: number;
}

const AUDIO_EXT = /\.(wav|flac|ogg|oga|mp3|m4a|aac|opus)$/i;
const IMAGE_EXT = /\.(png|jpe?g|bmp|gif|webp)$/i;
const VIDEO_EXT = /\.(mp4|m4v|mov|mkv|webm|avi|mpe?g|ogv|flv|wmv|3gp|ts)$/i;
const HMDB_SPLIT_DIRS = ['testTrainMulti_7030_splits', 'splits'];
const MSRVTT_FILE = /videodatainfo\.json$|^MSRVTT_data\.json$/;

const videoRootOf = (dir: string) => (existsSync(path.join(dir, 'videos')) ? path.join(dir, 'videos') : dir);

function checkSplit(value: number | undefined, max: number, what: string): number {
  const s = value ?? 1;
  if (!(Number.isInteger(s) && s >= 1 && s <= max)) throw new Error(`openDataset: split ${value}: ${what} has splits 1-${max}`);
  return s;
}

/** Sample labels as dense class indices (names sorted), and the names. */
function indexLabels(train: Sample[], test: Sample[], classes = [...new Set(train.map((s) => String(s.label)))].sort()) {
  const index = new Map(classes.map((c, i) => [c, i]));
  const relabel = (s: Sample) => ({ ...s, label: index.get(String(s.label))! });
  return { classes, train: train.map(relabel), test: test.filter((s) => index.has(String(s.label))).map(relabel) };
}

/**
 * Reads the dataset at `source` (see the file comment).
 *
 * @example
 * const d = await openDataset('/data/ESC-50', { split: 3 }); // { kind: 'esc50', classes: [...50], train, test, modality: 'audio' }
 * const m = await openDataset('clips.jsonl');                 // { kind: 'manifest', train: samples, test: samples }
 */
export async function openDataset(source: string, opts: OpenDatasetOptions = {}): Promise<OpenedDataset> {
  if (!existsSync(source)) throw new Error(`${source}: no such file or directory (expected a .jsonl manifest or a dataset directory)`);
  if (statSync(source).isFile()) {
    if (source.endsWith('.jsonl')) return manifest(source);
    if (MSRVTT_FILE.test(path.basename(source))) return msrvtt(source, path.dirname(source));
    throw new Error(`${source}: a file source must be a .jsonl manifest or an MSR-VTT videodatainfo JSON`);
  }
  const dir = source;
  const names = await fs.readdir(dir);
  if (names.includes('caption.json')) {
    const samples = await readHowTo100M({ captionJson: path.join(dir, 'caption.json'), videoRoot: videoRootOf(dir) });
    return { kind: 'howto100m', description: `HowTo100M in ${dir}`, train: samples, test: samples };
  }
  const msr = names.find((n) => MSRVTT_FILE.test(n));
  if (msr) return msrvtt(path.join(dir, msr), dir);
  if (names.includes('youcookii_annotations_trainval.json')) {
    const annotations = path.join(dir, 'youcookii_annotations_trainval.json');
    const [train, test] = await Promise.all(
      (['training', 'validation'] as const).map((subset) => readYouCook2({ annotations, videoRoot: videoRootOf(dir), subset })),
    );
    return { kind: 'youcook2', description: `YouCook2 in ${dir} (training / validation)`, train, test };
  }
  if (existsSync(path.join(dir, 'meta', 'esc50.csv'))) return esc50(dir, opts);
  if (existsSync(path.join(dir, 'ucfTrainTestlist', 'classInd.txt'))) {
    const split = checkSplit(opts.split, 3, 'UCF101') as 1 | 2 | 3;
    const videoRoot = existsSync(path.join(dir, 'UCF-101')) ? path.join(dir, 'UCF-101') : dir;
    const { train, test, classes } = await readUcf101Split({ listDir: path.join(dir, 'ucfTrainTestlist'), videoRoot, split });
    return { kind: 'ucf101', description: `UCF101 in ${dir}, split ${split}`, train, test, classes, modality: 'video' };
  }
  const hmdb = HMDB_SPLIT_DIRS.find((d) => existsSync(path.join(dir, d)));
  if (hmdb) {
    const split = checkSplit(opts.split, 3, 'HMDB51') as 1 | 2 | 3;
    const read = await readHmdb51Split({ splitDir: path.join(dir, hmdb), videoRoot: dir, split });
    const all = [...read.train, ...read.test].map((s) => String(s.label));
    return {
      kind: 'hmdb51',
      description: `HMDB51 in ${dir}, split ${split}`,
      ...indexLabels(read.train, read.test, [...new Set(all)].sort()),
      modality: 'video',
    };
  }
  const valCsv = ['validate.csv', 'val.csv'].map((f) => path.join(dir, f)).find((f) => existsSync(f));
  if (names.includes('train.csv') && valCsv) return kinetics(dir, valCsv);
  const jsonl = names.find((n) => n.endsWith('.jsonl'));
  if (jsonl) return manifest(path.join(dir, jsonl));
  const folders = await classFolders(dir, opts);
  if (folders) return folders;
  const videos = (await walk(dir)).filter((f) => VIDEO_EXT.test(f)).sort();
  if (videos.length) {
    const samples = videos.map((video) => ({ id: path.relative(dir, video), video }));
    return { kind: 'media-folder', description: `${dir}: ${videos.length} video files`, train: samples, test: samples };
  }
  throw new Error(
    `${dir}: no recognised layout (a *.jsonl manifest, caption.json, *videodatainfo.json, youcookii_annotations_trainval.json, ` +
      'meta/esc50.csv, ucfTrainTestlist/, testTrainMulti_7030_splits/, train.csv + validate.csv, ' +
      'one folder of audio files or images per class, or video files)',
  );
}

const TEST_SPLITS = new Set(['test', 'val', 'valid', 'validation', 'eval']);

/** A manifest's samples; lines with a `split` divide them (test / val / validation: evaluation; the rest: training). */
async function manifest(file: string): Promise<OpenedDataset> {
  const samples = await readManifest(file);
  if (!samples.some((s) => s.split !== undefined)) return { kind: 'manifest', description: `manifest ${file}`, train: samples, test: samples };
  const isTest = (s: (typeof samples)[number]) => s.split !== undefined && TEST_SPLITS.has(s.split.toLowerCase());
  return {
    kind: 'manifest',
    description: `manifest ${file} (split by its "split" field)`,
    train: samples.filter((s) => !isTest(s)),
    test: samples.filter(isTest),
  };
}

async function msrvtt(videodatainfo: string, dir: string): Promise<OpenedDataset> {
  const videoRoot = videoRootOf(dir);
  const [train, test] = await Promise.all([readMsrVtt({ videodatainfo, videoRoot }), readMsrVtt({ videodatainfo, videoRoot, split: 'test' })]);
  return { kind: 'msrvtt', description: `MSR-VTT ${videodatainfo}`, train, test };
}

async function esc50(dir: string, opts: OpenDatasetOptions): Promise<OpenedDataset> {
  const fold = checkSplit(opts.split, 5, 'ESC-50');
  const samples = await readEsc50({ root: dir });
  const rows = await readCsv(path.join(dir, 'meta', 'esc50.csv'), { required: ['target', 'category'] });
  const names = new Map(rows.map(({ record }) => [Number(record.target), record.category]));
  const targets = [...names.keys()].sort((a, b) => a - b);
  const index = new Map(targets.map((t, i) => [t, i]));
  const { train, test } = leaveOneFoldOut(samples, fold);
  const relabel = (s: Sample) => ({ ...s, label: index.get(Number(s.label))! });
  return {
    kind: 'esc50',
    description: `ESC-50 in ${dir}, fold ${fold} held out`,
    train: train.map(relabel),
    test: test.map(relabel),
    classes: targets.map((t) => names.get(t)!),
    modality: 'audio',
  };
}

async function kinetics(dir: string, valCsv: string): Promise<OpenedDataset> {
  const rootFor = (kind: 'train' | 'val'): string => {
    for (const d of kind === 'train' ? ['train', 'videos'] : ['val', 'validate', 'videos']) if (existsSync(path.join(dir, d))) return path.join(dir, d);
    return dir;
  };
  const read = async (csv: string, root: string): Promise<Sample[]> => {
    // Per-label folders when the first labelled row's folder exists.
    const flat = await readKinetics({ csv, videoRoot: root });
    const first = flat.find((s) => s.label !== undefined);
    const byLabel = first !== undefined && existsSync(path.join(root, String(first.label)));
    return (byLabel ? await readKinetics({ csv, videoRoot: root, layout: 'byLabel' }) : flat).filter((s) => s.label !== undefined);
  };
  const train = await read(path.join(dir, 'train.csv'), rootFor('train'));
  // Rows without a label belong to the (unlabelled) test split; a train.csv with none has no label column.
  if (!train.length)
    throw new Error(`${path.join(dir, 'train.csv')}: no labelled rows (a Kinetics train.csv needs a label column: label,youtube_id,time_start,time_end,split)`);
  const test = await read(valCsv, rootFor('val'));
  return { kind: 'kinetics', description: `Kinetics in ${dir}, train / ${path.basename(valCsv)}`, ...indexLabels(train, test), modality: 'video' };
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

/** A folder of class folders (audio files or images), split train / test per class by a seeded shuffle; null when it is not one. */
async function classFolders(dir: string, opts: OpenDatasetOptions): Promise<OpenedDataset | null> {
  const entries = await fs.readdir(dir, { withFileTypes: true });
  const isDir = async (e: (typeof entries)[number]) => e.isDirectory() || (e.isSymbolicLink() && (await fs.stat(path.join(dir, e.name))).isDirectory());
  const classes = (await Promise.all(entries.map(async (e) => ((await isDir(e)) ? e.name : null)))).filter((n): n is string => n !== null).sort();
  if (classes.length < 2) return null;
  const listed = await Promise.all(classes.map((c) => walk(path.join(dir, c))));
  const audio = listed.flat().filter((f) => AUDIO_EXT.test(f)).length;
  const image = listed.flat().filter((f) => IMAGE_EXT.test(f)).length;
  if (!audio && !image) return null;
  // One kind of file only: it decides the tower. Both kinds: `modality` picks (video = images).
  const modality = audio && image ? (opts.modality ?? 'video') : audio ? 'audio' : 'video';
  const ext = modality === 'audio' ? AUDIO_EXT : IMAGE_EXT;
  const frac = opts.testFraction ?? 0.3;
  const train: Sample[] = [];
  const test: Sample[] = [];
  classes.forEach((c, label) => {
    const shuffled = new Rng(hashSeed(opts.seed ?? 0, label)).shuffle(listed[label].filter((f) => ext.test(f)).sort());
    const files = shuffled.slice(0, opts.maxPerClass ?? shuffled.length);
    const nTest = files.length >= 2 ? Math.max(1, Math.round(files.length * frac)) : 0;
    files.forEach((file, i) => {
      const s: Sample = { id: path.relative(dir, file), label, ...(modality === 'audio' ? { audio: file } : { video: file }) };
      (i < nTest ? test : train).push(s);
    });
  });
  const what = modality === 'audio' ? 'audio files' : 'images (single-frame videos)';
  return { kind: 'class-folders', description: `${dir}: ${classes.length} classes of ${what}`, train, test, classes, modality };
}
