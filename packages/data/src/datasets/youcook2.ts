import { DatasetFormatError } from '../errors.js';
import { isRecord, lineOf, mediaPath, parseTimeSpan, readJson } from './files.js';
import type { MediaPathFn, Sample } from './sample.js';

export interface YouCook2Options {
  /** `youcookii_annotations_trainval.json`. */
  annotations: string;
  videoRoot: string;
  /** 'training' | 'validation' (the paper's retrieval pool is validation, docs/numerics.md §8.4); all if omitted. */
  subset?: 'training' | 'validation';
  extension?: string;
  videoPath?: MediaPathFn;
}

/**
 * Reads YouCook2 annotations: each annotated segment is one retrieval item, with `start`/`end`
 * the segment inside the full local video and its one sentence as caption.
 *
 * @example
 * const items = await readYouCook2({ annotations: 'youcookii_annotations_trainval.json', videoRoot: '/data/yc2', subset: 'validation' });
 * // [{ id: 'xHr8X2Wpmno_0', video: '/data/yc2/xHr8X2Wpmno.mp4', start: 47, end: 60,
 * //    captions: ['spread margarine on two slices of white bread'], split: 'validation' }]
 */
export async function readYouCook2(options: YouCook2Options): Promise<Sample[]> {
  const file = options.annotations;
  const { text, value } = await readJson(file);
  if (!isRecord(value) || !isRecord(value.database)) throw new DatasetFormatError(file, 1, 'expected { "database": { "<video_id>": {...} } }');
  const path = mediaPath(options.videoRoot, options.extension ?? '.mp4', options.videoPath);
  const out: Sample[] = [];
  for (const [videoId, entry] of Object.entries(value.database)) {
    const videoLine = lineOf(text, JSON.stringify(videoId));
    if (!isRecord(entry) || !Array.isArray(entry.annotations)) {
      throw new DatasetFormatError(file, videoLine, `video "${videoId}": expected an "annotations" list`);
    }
    if (options.subset && entry.subset !== options.subset) continue;
    const duration = typeof entry.duration === 'number' ? entry.duration : Infinity;
    for (const [i, annotation] of entry.annotations.entries()) {
      const segment = isRecord(annotation) ? annotation.segment : undefined;
      const line =
        isRecord(annotation) && annotation.id !== undefined
          ? (lineOf(text, new RegExp(`"id"\\s*:\\s*${Number(annotation.id)}\\b`), text.indexOf(JSON.stringify(videoId))) ?? videoLine)
          : videoLine;
      if (!isRecord(annotation) || !Array.isArray(segment) || segment.length !== 2 || typeof annotation.sentence !== 'string') {
        throw new DatasetFormatError(file, line, `video "${videoId}", annotation ${i}: expected { "id", "segment": [start, end], "sentence" }`);
      }
      const [start, end] = parseTimeSpan(segment[0], segment[1], file, line, ['segment start', 'segment end']);
      if (start >= duration)
        throw new DatasetFormatError(file, line, `video "${videoId}", annotation ${i}: segment starts at ${start}s after the video's duration ${duration}s`);
      out.push({
        id: `${videoId}_${annotation.id ?? i}`,
        video: path(videoId, file, videoLine),
        start,
        end,
        captions: [annotation.sentence],
        ...(typeof entry.subset === 'string' ? { split: entry.subset } : {}),
      });
    }
  }
  return out;
}
