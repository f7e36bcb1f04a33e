import type { Rng } from '@vatt/tokenizers/random';
import type { TimedCaption } from '../datasets/sample.js';

/** A time window in seconds. */
export interface TimeWindow {
  start: number;
  end: number;
}

/** Seconds covered by `numFrames` frames at `fps` (32 @ 10 fps = 3.2 s, docs/numerics.md §1.1). */
export function clipDuration(numFrames: number, fps: number): number {
  if (!(numFrames > 0 && fps > 0)) throw new Error(`clipDuration: expected numFrames > 0 and fps > 0, got ${numFrames}, ${fps}`);
  return numFrames / fps;
}

/**
 * Picks a random training window of `duration` seconds inside `range`, uniformly over every start
 * that fits (DMVR's random offset). Video and audio both start at `window.start`: that shared
 * start time is the A/V sync of docs/numerics.md §7. A range shorter than the clip gives `start = range.start`
 * (the loader then loops the media, as DMVR does).
 *
 * @example
 * randomWindow({ start: 0, end: 10 }, 3.2, new Rng(0)); // { start: 4.17..., end: 7.37... }
 */
export function randomWindow(range: TimeWindow, duration: number, rng: Rng): TimeWindow {
  const slack = range.end - range.start - duration;
  const start = range.start + (slack > 0 ? rng.uniform(0, slack) : 0);
  return { start, end: start + duration };
}

/**
 * `numClips` windows evenly spaced from the range's start to its end (linspace of the start
 * times; docs/numerics.md §8.1/8.4: 4 uniformly spaced clips for evaluation). One clip is centred.
 *
 * @example
 * uniformWindows({ start: 0, end: 10 }, 2, 3); // starts 0, 4, 8
 */
export function uniformWindows(range: TimeWindow, duration: number, numClips: number): TimeWindow[] {
  if (!(Number.isInteger(numClips) && numClips > 0)) throw new Error(`uniformWindows: expected numClips >= 1, got ${numClips}`);
  const slack = Math.max(0, range.end - range.start - duration);
  return Array.from({ length: numClips }, (_, i) => {
    const start = range.start + (numClips === 1 ? slack / 2 : (slack * i) / (numClips - 1));
    return { start, end: start + duration };
  });
}

/**
 * MIL-NCE-style training window (an option; VATT's exact rule is unreleased, docs/numerics.md §6.3): pick one
 * narration at random among those inside `range`, centre the window at a uniform point of that
 * narration's span, and shift it to fit the range. Without narrations in range: `randomWindow`.
 *
 * @example
 * narrationWindow(captions, { start: 0, end: 60 }, 3.2, new Rng(0)); // overlaps one narration
 */
export function narrationWindow(captions: readonly TimedCaption[], range: TimeWindow, duration: number, rng: Rng): TimeWindow {
  const inside = captions.filter((c) => c.end > range.start && c.start < range.end);
  if (inside.length === 0) return randomWindow(range, duration, rng);
  const caption = inside[rng.int(inside.length)];
  const centre = rng.uniform(Math.max(caption.start, range.start), Math.min(caption.end, range.end));
  const start = Math.max(range.start, Math.min(centre - duration / 2, range.end - duration));
  return { start, end: start + duration };
}

/** Time gap between a caption and a window: 0 when they overlap. */
function gap(caption: TimedCaption, window: TimeWindow): number {
  return Math.max(0, caption.start - window.end, window.start - caption.end);
}

/**
 * The K narrations nearest in time to a clip: VATT's MIL-NCE positives (docs/numerics.md §6.3, "five text
 * clips that are nearest neighbors to the video clip in time"). Rule: rank captions by the time
 * gap between caption and window (0 for any overlap), break ties by the distance between their
 * centres, then by position; return the K best in temporal order. With fewer than K captions the
 * available ones are repeated cyclically (every positive is a real narration); with none, K empty
 * strings and `valid = false` (the sample then takes no part in MIL-NCE: text_mask 0).
 *
 * @example
 * nearestNarrations(captions, { start: 10, end: 13.2 }, 5);
 * // { texts: ['cut the onion', 'add oil', ...], valid: true }
 */
export function nearestNarrations(captions: readonly TimedCaption[], window: TimeWindow, k: number): { texts: string[]; valid: boolean } {
  if (!(Number.isInteger(k) && k > 0)) throw new Error(`nearestNarrations: expected k >= 1, got ${k}`);
  if (captions.length === 0) return { texts: Array(k).fill(''), valid: false };
  const centre = (window.start + window.end) / 2;
  const ranked = captions
    .map((caption, index) => ({ caption, index, gap: gap(caption, window), offset: Math.abs((caption.start + caption.end) / 2 - centre) }))
    .sort((a, b) => a.gap - b.gap || a.offset - b.offset || a.index - b.index)
    .slice(0, k)
    .sort((a, b) => a.caption.start - b.caption.start || a.index - b.index);
  return { texts: Array.from({ length: k }, (_, i) => ranked[i % ranked.length].caption.text), valid: true };
}

/** A crop box in pixels. */
export interface CropBox {
  top: number;
  left: number;
  height: number;
  width: number;
}

/**
 * The 3 spatial crops of evaluation (docs/numerics.md §8.1): `size` x `size` at the start, centre and end of
 * the longer side (left/centre/right for landscape, top/centre/bottom for portrait).
 *
 * @example
 * threeCrops(224, 298, 224); // lefts 0, 37, 74
 */
export function threeCrops(height: number, width: number, size: number): CropBox[] {
  if (size > height || size > width) throw new Error(`threeCrops: crop ${size} does not fit a ${height}x${width} frame`);
  const alongWidth = width >= height;
  const room = (alongWidth ? width : height) - size;
  const across = Math.floor(((alongWidth ? height : width) - size) / 2);
  return [0, Math.floor(room / 2), room].map((offset) =>
    alongWidth ? { top: across, left: offset, height: size, width: size } : { top: offset, left: across, height: size, width: size },
  );
}

/** A centred `size` x `size` crop. */
export function centerCrop(height: number, width: number, size: number): CropBox {
  if (size > height || size > width) throw new Error(`centerCrop: crop ${size} does not fit a ${height}x${width} frame`);
  return { top: Math.floor((height - size) / 2), left: Math.floor((width - size) / 2), height: size, width: size };
}
