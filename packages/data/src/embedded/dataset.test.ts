import { EMBEDDED_VOCAB } from './captions.js';
import { EmbeddedDataset } from './dataset.js';
import { renderClip } from './render.js';
import { attributeKey } from './attributes.js';
import { EMBEDDED_DEFAULTS } from './dataset.js';

// Small clips: code under jest's VM runs plain-JS math far slower than Node itself (the full default
// set takes ~2 s in Node), and every behaviour shows at this size.
const small = { trainVariants: 1, frames: 4, height: 16, width: 16, samples: 512 };
let shared: EmbeddedDataset;
beforeAll(() => {
  shared = new EmbeddedDataset(small);
});

describe('the embedded dataset', () => {
  test('is deterministic from its seed', () => {
    const a = shared;
    const b = new EmbeddedDataset({ ...small });
    const c = new EmbeddedDataset({ ...small, seed: 5 });
    expect(Buffer.from(a.train[7].video).equals(Buffer.from(b.train[7].video))).toBe(true);
    expect(Array.from(a.heldout[3].audio)).toEqual(Array.from(b.heldout[3].audio));
    expect(a.train[7].captions).toEqual(b.train[7].captions);
    expect(Buffer.from(a.train[7].video).equals(Buffer.from(c.train[7].video))).toBe(false);
  });

  test('has the requested shapes and value ranges', () => {
    const d = new EmbeddedDataset({ ...small, width: 24, trainVariants: 2 });
    const clip = d.train[0];
    expect(clip.videoShape).toEqual([4, 16, 24, 3]);
    expect(clip.video.length).toBe(4 * 16 * 24 * 3);
    expect(clip.audio.length).toBe(512);
    expect(Math.max(...clip.audio.map(Math.abs))).toBeLessThanOrEqual(1);
    expect(d.train).toHaveLength((96 - 16) * 2);
    expect(d.heldout).toHaveLength(96);
  });

  test('keeps held-out combinations out of training and gives every held-out clip its own description', () => {
    const d = shared;
    const trainKeys = new Set(d.train.map((c) => attributeKey(c.attributes)));
    expect(d.unseenCombinations).toHaveLength(16);
    for (const k of d.unseenCombinations) expect(trainKeys.has(k)).toBe(false);
    expect(
      d.heldout
        .filter((c) => c.unseenCombination)
        .map((c) => attributeKey(c.attributes))
        .sort(),
    ).toEqual([...d.unseenCombinations].sort());
    expect(new Set(d.heldout.map((c) => c.captions[0])).size).toBe(96);
    // Every colour, shape and motion still appears in training.
    for (const k of ['color', 'shape', 'motion'] as const) {
      expect(new Set(d.train.map((c) => c.attributes[k])).size).toBe(new Set(d.heldout.map((c) => c.attributes[k])).size);
    }
  });

  test('captions describe the clip with words of the vocabulary only', () => {
    const d = shared;
    const vocab = new Set(EMBEDDED_VOCAB);
    for (const c of [...d.train, ...d.heldout]) {
      expect(c.captions).toHaveLength(5);
      expect(c.captions[0]).toBe(`a ${c.attributes.color} ${c.attributes.shape} moving ${c.attributes.motion}`);
      for (const w of c.captions.join(' ').split(/\s+/)) expect(vocab.has(w)).toBe(true);
    }
    expect(EMBEDDED_VOCAB.slice(0, 4)).toEqual(['<pad>', '<bos>', '<eos>', '<unk>']);
  });

  test('the picture and the sound follow the same motion timeline', () => {
    const o = EMBEDDED_DEFAULTS;
    const rms = (x: Float32Array, from: number, to: number) => Math.sqrt(x.subarray(from, to).reduce((s, v) => s + v * v, 0) / (to - from));
    const q = o.samples / 4;
    const left = renderClip({ color: 'red', shape: 'circle', motion: 'left' }, 1, o);
    expect(left.track[o.frames - 1][0]).toBeLessThan(left.track[0][0] - 8);
    expect(rms(left.audio, 0, q)).toBeGreaterThan(2 * rms(left.audio, 3 * q, 4 * q)); // fades out as it leaves
    const right = renderClip({ color: 'red', shape: 'circle', motion: 'right' }, 1, o);
    expect(right.track[o.frames - 1][0]).toBeGreaterThan(right.track[0][0] + 8);
    expect(rms(right.audio, 3 * q, 4 * q)).toBeGreaterThan(2 * rms(right.audio, 0, q));
    // Up: the pitch rises, counted by zero crossings in the first and last quarter.
    const up = renderClip({ color: 'blue', shape: 'circle', motion: 'up' }, 2, o);
    const crossings = (x: Float32Array, from: number, to: number) => {
      let n = 0;
      for (let i = from + 1; i < to; i++) if (Math.sign(x[i]) !== Math.sign(x[i - 1])) n++;
      return n;
    };
    expect(up.track[o.frames - 1][1]).toBeLessThan(up.track[0][1] - 8);
    expect(crossings(up.audio, 3 * q, 4 * q)).toBeGreaterThan(1.2 * crossings(up.audio, 0, q));
  });

  test('the colour of the shape is in the frames', () => {
    const o = EMBEDDED_DEFAULTS;
    const clip = renderClip({ color: 'green', shape: 'square', motion: 'down' }, 3, o);
    const [cx, cy] = clip.track[0];
    const i = (Math.round(cy) * o.width + Math.round(cx)) * 3;
    const [r, g, b] = [clip.video[i], clip.video[i + 1], clip.video[i + 2]];
    expect(g).toBeGreaterThan(150);
    expect(r).toBeLessThan(100);
    expect(b).toBeLessThan(110);
  });

  test('bad options are rejected by name', () => {
    expect(() => new EmbeddedDataset({ frames: 0 })).toThrow(/frames must be an integer >= 1, got 0/);
    expect(() => new EmbeddedDataset({ heldoutCombinations: 96 })).toThrow(/heldoutCombinations must be an integer in \[0, 95\]/);
  });
});
