import { readdir } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { DatasetFormatError } from '../errors.js';
import { isRecord, lineOf, mediaPath, parseTimeSpan, readCsv, readJson } from './files.js';
import type { MediaPathFn, Sample, TimedCaption } from './sample.js';

export interface HowTo100MOptions {
  /** `caption.json` (or `raw_caption.json`): `{ "<video_id>": { "text": [...], "start": [...], "end": [...] } }`. */
  captionJson?: string;
  /** Or a folder of per-video `<video_id>.csv` files with columns `start,end,text` (MIL-NCE release). */
  captionCsvDir?: string;
  /** Folder holding `<video_id>.mp4`. */
  videoRoot: string;
  /** Default '.mp4' (HowTo100M also ships '.webm'). */
  extension?: string;
  videoPath?: MediaPathFn;
  /** `HowTo100M_v1.csv` (`video_id,category_1,category_2,rank,task_id`): keeps only the listed videos and sets `label = task_id`. */
  metadataCsv?: string;
}

/**
 * Reads HowTo100M narrations: one Sample per video with its timed ASR captions, ready for
 * `nearestNarrations` (spec 6.3).
 *
 * @example
 * const samples = await readHowTo100M({ captionJson: 'caption.json', videoRoot: '/data/howto100m' });
 * // [{ id: 'nVbIUDjzWY4', video: '/data/howto100m/nVbIUDjzWY4.mp4', captions: [{ text: 'add flour', start: 3.2, end: 6.1 }, ...] }]
 */
export async function readHowTo100M(options: HowTo100MOptions): Promise<Sample[]> {
  const { captionJson, captionCsvDir, videoRoot, extension = '.mp4' } = options;
  if ((captionJson === undefined) === (captionCsvDir === undefined)) {
    throw new Error('readHowTo100M: expected exactly one of captionJson (caption.json) or captionCsvDir (per-video start,end,text CSVs)');
  }
  const captions = captionJson ? await readCaptionJson(captionJson) : await readCaptionCsvDir(captionCsvDir!);
  const path = mediaPath(videoRoot, extension, options.videoPath);
  let ids = [...captions.keys()];
  const labels = new Map<string, number>();
  if (options.metadataCsv) {
    const rows = await readCsv(options.metadataCsv, { required: ['video_id', 'task_id'] });
    for (const { record, line } of rows) {
      const task = Number(record.task_id);
      if (!Number.isInteger(task)) throw new DatasetFormatError(options.metadataCsv, line, `expected an integer task_id, got "${record.task_id}"`);
      labels.set(record.video_id, task);
    }
    ids = ids.filter((id) => labels.has(id));
  }
  return ids.map((id) => ({
    id,
    video: path(id),
    captions: captions.get(id)!,
    ...(labels.has(id) ? { label: labels.get(id)! } : {}),
  }));
}

/** Reads `caption.json` into video id -> timed captions (sorted by start time). */
export async function readCaptionJson(file: string): Promise<Map<string, TimedCaption[]>> {
  const { text, value } = await readJson(file);
  if (!isRecord(value)) throw new DatasetFormatError(file, 1, 'expected an object keyed by video id');
  const out = new Map<string, TimedCaption[]>();
  for (const [id, entry] of Object.entries(value)) {
    const line = () => lineOf(text, JSON.stringify(id));
    if (!isRecord(entry) || !Array.isArray(entry.text) || !Array.isArray(entry.start) || !Array.isArray(entry.end)) {
      throw new DatasetFormatError(file, line(), `video "${id}": expected { "text": [...], "start": [...], "end": [...] }`);
    }
    const { text: texts, start, end } = entry as { text: unknown[]; start: unknown[]; end: unknown[] };
    if (texts.length !== start.length || texts.length !== end.length) {
      throw new DatasetFormatError(file, line(), `video "${id}": text/start/end have different lengths (${texts.length}/${start.length}/${end.length})`);
    }
    const list: TimedCaption[] = texts.map((t, i) => {
      let span: [number, number];
      try {
        span = parseTimeSpan(start[i], end[i], file, undefined);
      } catch (e) {
        throw new DatasetFormatError(file, line(), `video "${id}", caption ${i}: ${(e as DatasetFormatError).message.replace(`${file}: `, '')}`);
      }
      return { text: String(t), start: span[0], end: span[1] };
    });
    out.set(id, list.sort((a, b) => a.start - b.start));
  }
  return out;
}

/** Reads one MIL-NCE per-video caption CSV (`start,end,text`). */
export async function readCaptionCsv(file: string): Promise<TimedCaption[]> {
  const rows = await readCsv(file, { required: ['start', 'end', 'text'] });
  return rows
    .map(({ record, line }) => {
      const [start, end] = parseTimeSpan(record.start, record.end, file, line);
      return { text: record.text, start, end };
    })
    .sort((a, b) => a.start - b.start);
}

async function readCaptionCsvDir(dir: string): Promise<Map<string, TimedCaption[]>> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => extname(n) === '.csv').sort();
  } catch {
    throw new DatasetFormatError(dir, undefined, 'cannot read caption CSV folder');
  }
  const out = new Map<string, TimedCaption[]>();
  for (const name of names) out.set(basename(name, '.csv'), await readCaptionCsv(join(dir, name)));
  return out;
}
