/** A narration or caption with its time span in seconds (HowTo100M ASR, YouCook2 segments). */
export interface TimedCaption {
  text: string;
  start: number;
  end: number;
}

/**
 * One item of any dataset, in one common shape that every reader produces and the loader consumes.
 *
 * - `video` / `audio` are file paths. When only `video` is set and audio is requested, the loader
 *   takes the audio track of the video file.
 * - `start` / `end` (seconds) restrict sampling to a window of the local file (a YouCook2 segment).
 *   Readers leave them unset when the local file is already the trimmed clip (Kinetics, MSR-VTT).
 * - `label` is the dataset's canonical class id where one exists (ESC-50 `target`, UCF101
 *   `classInd` index - 1), else the class name (Kinetics, HMDB51); `labels` holds multi-label ids
 *   (AudioSet MIDs).
 *
 * @example
 * const sample: Sample = { id: 'video7010', video: '/data/msrvtt/video7010.mp4', captions: ['a man is singing'], split: 'test' };
 */
export interface Sample {
  id: string;
  video?: string;
  audio?: string;
  start?: number;
  end?: number;
  captions?: string[] | TimedCaption[];
  label?: string | number;
  labels?: (string | number)[];
  split?: string;
}

/** Whether `captions` are timed (narrations with spans) rather than plain strings; an empty list is not. */
export function isTimed(captions: Sample['captions']): captions is TimedCaption[] {
  return captions !== undefined && captions.length > 0 && typeof captions[0] !== 'string';
}

/** How a reader turns a dataset id into a media path; the default is `<root>/<id><extension>`. */
export type MediaPathFn = (id: string) => string;

/**
 * Maps string labels to dense indices in sorted order (numbers are kept as they are).
 *
 * @example
 * labelIndex([{ id: 'a', label: 'zumba' }, { id: 'b', label: 'abseiling' }]); // Map { 'abseiling' => 0, 'zumba' => 1 }
 */
export function labelIndex(samples: readonly Sample[]): Map<string, number> {
  const names = new Set<string>();
  for (const s of samples) {
    if (typeof s.label === 'string') names.add(s.label);
    for (const l of s.labels ?? []) if (typeof l === 'string') names.add(l);
  }
  return new Map([...names].sort().map((name, i) => [name, i]));
}
