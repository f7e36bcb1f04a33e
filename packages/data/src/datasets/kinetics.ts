import { join } from 'node:path';
import { DatasetFormatError } from '../errors.js';
import { inside, parseTimeSpan, readCsv } from './files.js';
import type { Sample } from './sample.js';

export interface KineticsOptions {
  /** `train.csv` / `validate.csv` / `test.csv`: `label,youtube_id,time_start,time_end,split[,is_cc]` (test files may lack `label`). */
  csv: string;
  videoRoot: string;
  /** 'flat': `<root>/<id>.mp4`; 'byLabel': `<root>/<label>/<id>.mp4`. Default 'flat'. */
  layout?: 'flat' | 'byLabel';
  extension?: string;
  /** Custom path from the clip id and label. */
  videoPath?: (id: string, label: string | undefined) => string;
}

/** The common Kinetics clip file name: `<youtube_id>_<time_start:06d>_<time_end:06d>`. */
export function kineticsClipId(youtubeId: string, start: number, end: number): string {
  const pad = (n: number) => String(Math.round(n)).padStart(6, '0');
  return `${youtubeId}_${pad(start)}_${pad(end)}`;
}

/**
 * Reads a Kinetics-400/600/700 CSV. `label` is the class name (see `labelIndex`); the local file is
 * the trimmed 10 s clip, so the Sample carries no `start`/`end`.
 *
 * @example
 * const train = await readKinetics({ csv: 'kinetics400/train.csv', videoRoot: '/data/k400/train' });
 * // [{ id: '---QUuC4vJs_000084_000094', video: '/data/k400/train/---QUuC4vJs_000084_000094.mp4', label: 'testifying', split: 'train' }]
 */
export async function readKinetics(options: KineticsOptions): Promise<Sample[]> {
  const { csv, videoRoot, layout = 'flat', extension = '.mp4' } = options;
  const rows = await readCsv(csv, { required: ['youtube_id', 'time_start', 'time_end'] });
  return rows.map(({ record, line }) => {
    const [start, end] = parseTimeSpan(record.time_start, record.time_end, csv, line, ['time_start', 'time_end']);
    if (!Number.isInteger(start) || !Number.isInteger(end)) {
      throw new DatasetFormatError(csv, line, `expected integer seconds in time_start/time_end, got ${record.time_start}/${record.time_end}`);
    }
    const id = kineticsClipId(record.youtube_id, start, end);
    const label = record.label || undefined;
    if (layout === 'byLabel' && label === undefined && !options.videoPath) {
      throw new DatasetFormatError(csv, line, "layout 'byLabel' needs a label, but this row has none");
    }
    const video = options.videoPath
      ? options.videoPath(id, label)
      : layout === 'byLabel'
        ? inside(videoRoot, join(label!, `${id}${extension}`), csv, line)
        : inside(videoRoot, `${id}${extension}`, csv, line);
    return { id, video, ...(label !== undefined ? { label } : {}), ...(record.split ? { split: record.split } : {}) };
  });
}
