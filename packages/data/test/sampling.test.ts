import { Rng } from '@vatt/tokenizers';
import { centerCrop, clipDuration, narrationWindow, nearestNarrations, randomWindow, threeCrops, uniformWindows } from '../src/index.js';
import type { TimedCaption } from '../src/index.js';

const narrations: TimedCaption[] = [
  { text: 'a', start: 0, end: 2 },
  { text: 'b', start: 2, end: 4 },
  { text: 'c', start: 5, end: 6 },
  { text: 'd', start: 6.5, end: 8 },
  { text: 'e', start: 9, end: 10 },
  { text: 'f', start: 12, end: 14 },
  { text: 'g', start: 20, end: 22 },
];

describe('clip windows', () => {
  test('32 frames at 10 fps last 3.2 s (docs/numerics.md §1.1)', () => {
    expect(clipDuration(32, 10)).toBeCloseTo(3.2, 10);
  });

  test('random training windows fit inside the range and cover it', () => {
    const rng = new Rng(0);
    const starts = Array.from({ length: 500 }, () => randomWindow({ start: 2, end: 12 }, 3.2, rng));
    for (const w of starts) {
      expect(w.start).toBeGreaterThanOrEqual(2);
      expect(w.end).toBeLessThanOrEqual(12 + 1e-9);
      expect(w.end - w.start).toBeCloseTo(3.2, 10);
    }
    expect(Math.min(...starts.map((w) => w.start))).toBeLessThan(2.2);
    expect(Math.max(...starts.map((w) => w.start))).toBeGreaterThan(8.6);
    expect(randomWindow({ start: 1, end: 2 }, 3.2, rng).start).toBe(1);
  });

  test('evaluation windows are uniformly spaced from start to end; one window is centred', () => {
    expect(uniformWindows({ start: 0, end: 10 }, 2, 3).map((w) => w.start)).toEqual([0, 4, 8]);
    expect(uniformWindows({ start: 0, end: 10 }, 2, 1)[0].start).toBe(4);
    expect(uniformWindows({ start: 0, end: 1 }, 2, 4).map((w) => w.start)).toEqual([0, 0, 0, 0]);
  });
});

describe('narrationWindow (MIL-NCE-style option)', () => {
  test('the window overlaps a narration and stays inside the range', () => {
    const rng = new Rng(2);
    for (let i = 0; i < 200; i++) {
      const w = narrationWindow(narrations, { start: 0, end: 23 }, 3.2, rng);
      expect(w.start).toBeGreaterThanOrEqual(0);
      expect(w.end).toBeLessThanOrEqual(23 + 1e-9);
      expect(narrations.some((c) => c.start < w.end && c.end > w.start)).toBe(true);
    }
    expect(narrationWindow([], { start: 0, end: 10 }, 3.2, new Rng(0)).end).toBeLessThanOrEqual(10);
  });
});

describe('nearestNarrations (MIL-NCE positives, docs/numerics.md §6.3)', () => {
  test('returns the K captions nearest in time to the clip, in temporal order', () => {
    expect(nearestNarrations(narrations, { start: 5.5, end: 8.7 }, 5)).toEqual({ texts: ['b', 'c', 'd', 'e', 'f'], valid: true });
    expect(nearestNarrations(narrations, { start: 0, end: 3.2 }, 3).texts).toEqual(['a', 'b', 'c']);
  });

  test('overlapping captions rank first; ties go to the caption whose centre is closer', () => {
    expect(nearestNarrations(narrations, { start: 1.5, end: 2.5 }, 1).texts).toEqual(['a']);
    expect(nearestNarrations(narrations, { start: 2.5, end: 5.5 }, 2).texts).toEqual(['b', 'c']);
  });

  test('fewer captions than K are repeated; none gives empty strings and valid = false', () => {
    expect(nearestNarrations(narrations.slice(0, 2), { start: 0, end: 3 }, 5).texts).toEqual(['a', 'b', 'a', 'b', 'a']);
    expect(nearestNarrations([], { start: 0, end: 3 }, 2)).toEqual({ texts: ['', ''], valid: false });
  });
});

describe('spatial crops', () => {
  test('three crops run along the longer side (left/centre/right, top/centre/bottom)', () => {
    expect(threeCrops(224, 298, 224).map((b) => [b.top, b.left])).toEqual([
      [0, 0],
      [0, 37],
      [0, 74],
    ]);
    expect(threeCrops(300, 224, 224).map((b) => [b.top, b.left])).toEqual([
      [0, 0],
      [38, 0],
      [76, 0],
    ]);
    expect(centerCrop(240, 320, 224)).toEqual({ top: 8, left: 48, height: 224, width: 224 });
    expect(() => threeCrops(100, 100, 224)).toThrow(/does not fit/);
  });
});
