import { DatasetFormatError } from '../errors.js';
import { isRecord, lineOf, mediaPath, parseTimeSpan, readCsv, readJson } from './files.js';
import type { MediaPathFn, Sample } from './sample.js';

export interface MsrVttOptions {
  /** `train_val_videodatainfo.json`, `test_videodatainfo.json` or `MSRVTT_data.json`. */
  videodatainfo: string;
  videoRoot: string;
  /** Keep one split ('train' | 'validate' | 'test'); all if omitted. */
  split?: 'train' | 'validate' | 'test';
  extension?: string;
  videoPath?: MediaPathFn;
}

/**
 * Reads MSR-VTT's videodatainfo JSON: one Sample per video with its (20) captions. The local
 * `videoN.mp4` files are already trimmed, so `start`/`end` ("start time"/"end time" in the original
 * YouTube video) are validated but not copied into the Sample.
 *
 * @example
 * const test = await readMsrVtt({ videodatainfo: 'test_videodatainfo.json', videoRoot: '/data/msrvtt/videos', split: 'test' });
 * // [{ id: 'video7010', video: '/data/msrvtt/videos/video7010.mp4', captions: ['a man ...', ...], split: 'test', label: 9 }]
 */
export async function readMsrVtt(options: MsrVttOptions): Promise<Sample[]> {
  const file = options.videodatainfo;
  const { text, value } = await readJson(file);
  if (!isRecord(value) || !Array.isArray(value.videos) || !Array.isArray(value.sentences)) {
    throw new DatasetFormatError(file, 1, 'expected { "videos": [...], "sentences": [...] }');
  }
  const path = mediaPath(options.videoRoot, options.extension ?? '.mp4', options.videoPath);
  const samples = new Map<string, Sample & { captions: string[] }>();
  for (const [i, video] of value.videos.entries()) {
    const id = isRecord(video) ? video.video_id : undefined;
    const line = lineOf(text, typeof id === 'string' ? `"${id}"` : '"video_id"');
    if (!isRecord(video) || typeof id !== 'string') throw new DatasetFormatError(file, line, `videos[${i}]: expected a string "video_id"`);
    parseTimeSpan(video['start time'], video['end time'], file, line, ['start time', 'end time']);
    if (options.split && video.split !== options.split) continue;
    samples.set(id, {
      id,
      video: path(id, file, line),
      captions: [],
      ...(typeof video.split === 'string' ? { split: video.split } : {}),
      ...(typeof video.category === 'number' ? { label: video.category } : {}),
    });
  }
  const known = new Set(value.videos.map((v) => (isRecord(v) ? v.video_id : undefined)));
  for (const [i, sentence] of value.sentences.entries()) {
    if (!isRecord(sentence) || typeof sentence.caption !== 'string' || typeof sentence.video_id !== 'string') {
      throw new DatasetFormatError(file, lineOf(text, '"sentences"'), `sentences[${i}]: expected { "video_id": str, "caption": str }`);
    }
    if (!known.has(sentence.video_id)) {
      const line = lineOf(text, new RegExp(`"sen_id"\\s*:\\s*${Number(sentence.sen_id)}\\b`)) ?? lineOf(text, JSON.stringify(sentence.caption));
      throw new DatasetFormatError(file, line, `sentences[${i}] refers to unknown video_id "${sentence.video_id}"`);
    }
    samples.get(sentence.video_id)?.captions.push(sentence.caption);
  }
  return [...samples.values()];
}

/**
 * Reads the MSR-VTT "1k-A" test CSV (`key,vid_key,video_id,sentence`): one Sample per row, one caption.
 *
 * @example
 * const pairs = await readMsrVtt1kA({ csv: 'MSRVTT_JSFUSION_test.csv', videoRoot: '/data/msrvtt/videos' });
 * // [{ id: 'ret0', video: '/data/msrvtt/videos/video9770.mp4', captions: ['a person is connecting something to system'], split: 'test' }]
 */
export async function readMsrVtt1kA(options: { csv: string; videoRoot: string; extension?: string; videoPath?: MediaPathFn }): Promise<Sample[]> {
  const rows = await readCsv(options.csv, { required: ['key', 'video_id', 'sentence'] });
  const path = mediaPath(options.videoRoot, options.extension ?? '.mp4', options.videoPath);
  return rows.map(({ record, line }) => ({ id: record.key, video: path(record.video_id, options.csv, line), captions: [record.sentence], split: 'test' }));
}
