import { readdir } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { DatasetFormatError } from '../errors.js';
import { isRecord, jsonObjectMembers, mediaPath, parseTimeSpan, readCsv } from './files.js';
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
 * `nearestNarrations` (docs/numerics.md §6.3).
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
  const labels = new Map<string, number>();
  if (options.metadataCsv) {
    const rows = await readCsv(options.metadataCsv, { required: ['video_id', 'task_id'] });
    for (const { record, line } of rows) {
      const task = Number(record.task_id);
      if (!Number.isInteger(task)) throw new DatasetFormatError(options.metadataCsv, line, `expected an integer task_id, got "${record.task_id}"`);
      labels.set(record.video_id, task);
    }
  }
  const keep = options.metadataCsv ? (id: string) => labels.has(id) : undefined;
  const captions = captionJson ? await readCaptionJson(captionJson, keep) : await readCaptionCsvDir(captionCsvDir!, keep);
  const path = mediaPath(videoRoot, extension, options.videoPath);
  const ids = [...captions.keys()];
  return ids.map((id) => ({
    id,
    video: path(id, (captionJson ?? captionCsvDir)!),
    captions: captions.get(id)!,
    ...(labels.has(id) ? { label: labels.get(id)! } : {}),
  }));
}

/**
 * Reads `caption.json` into video id -> timed captions (sorted by start time), streaming the file.
 * `keep` limits which videos are kept (the others are skipped unparsed-checked only as JSON).
 */
export async function readCaptionJson(file: string, keep?: (id: string) => boolean): Promise<Map<string, TimedCaption[]>> {
  const out = new Map<string, TimedCaption[]>();
  for await (const { key: id, value: entry, line } of jsonObjectMembers(file)) {
    if (keep && !keep(id)) continue;
    if (!isRecord(entry) || !Array.isArray(entry.text) || !Array.isArray(entry.start) || !Array.isArray(entry.end)) {
      throw new DatasetFormatError(file, line, `video "${id}": expected { "text": [...], "start": [...], "end": [...] }`);
    }
    const { text: texts, start, end } = entry as { text: unknown[]; start: unknown[]; end: unknown[] };
    if (texts.length !== start.length || texts.length !== end.length) {
      throw new DatasetFormatError(file, line, `video "${id}": text/start/end have different lengths (${texts.length}/${start.length}/${end.length})`);
    }
    const list: TimedCaption[] = texts.map((t, i) => {
      const [s, e] = parseTimeSpan(start[i], end[i], file, line, [`video "${id}", caption ${i}: start`, 'end']);
      return { text: String(t), start: s, end: e };
    });
    out.set(
      id,
      list.sort((a, b) => a.start - b.start),
    );
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

async function readCaptionCsvDir(dir: string, keep?: (id: string) => boolean): Promise<Map<string, TimedCaption[]>> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => extname(n) === '.csv').sort();
  } catch {
    throw new DatasetFormatError(dir, undefined, 'cannot read caption CSV folder');
  }
  const out = new Map<string, TimedCaption[]>();
  for (const name of names) {
    const id = basename(name, '.csv');
    if (!keep || keep(id)) out.set(id, await readCaptionCsv(join(dir, name)));
  }
  return out;
}
