import { dirname, isAbsolute, resolve } from 'node:path';
import { DatasetFormatError } from '../errors.js';
import { isRecord, parseNumber, parseTimeSpan, readText } from './files.js';
import type { Sample, TimedCaption } from './sample.js';

/**
 * Reads a JSONL manifest, one object per line:
 * `{"video": "clips/a.mp4", "audio"?: "a.wav", "captions"?: ["..."] | [{"text","start","end"}], "label"?: ..., "labels"?: [...],
 * "id"?: ..., "start"?: s, "end"?: s, "split"?: ...}`.
 * Relative paths are resolved against the manifest's folder; `id` defaults to `video` (or `audio`).
 *
 * @example
 * const samples = await readManifest('my_clips.jsonl');
 * // [{ id: 'clips/a.mp4', video: '/data/clips/a.mp4', captions: ['a dog barks'] }]
 */
export async function readManifest(file: string): Promise<Sample[]> {
  const text = await readText(file);
  const root = dirname(resolve(file));
  const at = (p: string) => (isAbsolute(p) ? p : resolve(root, p));
  const out: Sample[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (e) {
      throw new DatasetFormatError(file, line, `invalid JSON: ${(e as Error).message}`);
    }
    if (!isRecord(value)) throw new DatasetFormatError(file, line, 'expected a JSON object');
    const { video, audio, captions, label, labels, id, start, end, split } = value;
    if (typeof video !== 'string' && typeof audio !== 'string') throw new DatasetFormatError(file, line, 'expected a "video" or "audio" path (string)');
    const sample: Sample = { id: typeof id === 'string' || typeof id === 'number' ? String(id) : String(video ?? audio) };
    if (typeof video === 'string') sample.video = at(video);
    if (typeof audio === 'string') sample.audio = at(audio);
    if (start !== undefined || end !== undefined) {
      if (end === undefined) sample.start = parseNumber(start, file, line, 'start');
      else [sample.start, sample.end] = parseTimeSpan(start ?? 0, end, file, line);
    }
    if (captions !== undefined) {
      if (!Array.isArray(captions)) throw new DatasetFormatError(file, line, '"captions" must be a list');
      if (captions.every((c) => typeof c === 'string')) sample.captions = captions as string[];
      else {
        sample.captions = captions.map((c, k): TimedCaption => {
          if (!isRecord(c) || typeof c.text !== 'string')
            throw new DatasetFormatError(file, line, `captions[${k}]: expected a string or { "text", "start", "end" }`);
          const [s, e] = parseTimeSpan(c.start, c.end, file, line);
          return { text: c.text, start: s, end: e };
        });
      }
    }
    if (typeof label === 'string' || typeof label === 'number') sample.label = label;
    else if (label !== undefined) throw new DatasetFormatError(file, line, '"label" must be a string or number');
    if (Array.isArray(labels)) sample.labels = labels.map((l) => (typeof l === 'number' ? l : String(l)));
    if (typeof split === 'string') sample.split = split;
    out.push(sample);
  });
  return out;
}
