import { DatasetFormatError } from '../errors.js';
import { inside, parseTimeSpan, readCsv } from './files.js';
import type { Sample } from './sample.js';

export interface AudioSetOptions {
  /** `balanced_train_segments.csv` / `unbalanced_train_segments.csv` / `eval_segments.csv`. */
  csv: string;
  mediaRoot: string;
  /** 'ytid': `<YTID><ext>` (default); 'ytid_start_end': `<YTID>_<start>_<end><ext>` with the times as written in the CSV. */
  naming?: 'ytid' | 'ytid_start_end';
  extension?: string;
  mediaPath?: (ytid: string, start: string, end: string) => string;
}

/**
 * Reads an AudioSet segment list (three `#` comment lines, then `YTID, start, end, "labels"`):
 * `labels` holds the MIDs (map them with `readAudioSetClassIndex`). The local file is the 10 s
 * segment, so the Sample has `video` = that file and no `start`/`end`.
 *
 * @example
 * const segments = await readAudioSetSegments({ csv: 'balanced_train_segments.csv', mediaRoot: '/data/audioset' });
 * // [{ id: '--PJHxphWEs', video: '/data/audioset/--PJHxphWEs.mp4', labels: ['/m/09x0r', '/t/dd00088'] }]
 */
export async function readAudioSetSegments(options: AudioSetOptions): Promise<Sample[]> {
  const { csv, mediaRoot, naming = 'ytid', extension = '.mp4' } = options;
  const columns = ['YTID', 'start_seconds', 'end_seconds', 'positive_labels'];
  const rows = await readCsv(csv, { columns, required: columns, comment: '#' });
  return rows.map(({ record, line }) => {
    parseTimeSpan(record.start_seconds, record.end_seconds, csv, line, ['start_seconds', 'end_seconds']);
    const labels = record.positive_labels
      .split(',')
      .map((l) => l.trim())
      .filter(Boolean);
    if (labels.some((l) => !l.startsWith('/'))) throw new DatasetFormatError(csv, line, `expected label ids like "/m/09x0r", got "${record.positive_labels}"`);
    const { YTID: id, start_seconds: start, end_seconds: end } = record;
    const video = options.mediaPath
      ? options.mediaPath(id, start, end)
      : inside(mediaRoot, naming === 'ytid' ? `${id}${extension}` : `${id}_${start}_${end}${extension}`, csv, line);
    return { id, video, labels };
  });
}

export interface AudioSetClass {
  index: number;
  mid: string;
  displayName: string;
}

/**
 * Reads `class_labels_indices.csv` (`index,mid,display_name`, 527 rows).
 *
 * @example
 * const classes = await readAudioSetClassIndex('class_labels_indices.csv');
 * // [{ index: 0, mid: '/m/09x0r', displayName: 'Speech' }, ...]
 */
export async function readAudioSetClassIndex(file: string): Promise<AudioSetClass[]> {
  const rows = await readCsv(file, { required: ['index', 'mid', 'display_name'] });
  return rows.map(({ record, line }) => {
    const index = Number(record.index);
    if (!Number.isInteger(index) || index < 0) throw new DatasetFormatError(file, line, `expected a non-negative integer index, got "${record.index}"`);
    return { index, mid: record.mid, displayName: record.display_name };
  });
}
