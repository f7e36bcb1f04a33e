import {
  EMBEDDED_COLORS,
  EMBEDDED_HELDOUT_COMBINATIONS,
  EMBEDDED_MOTIONS,
  EMBEDDED_SHAPES,
  EMBEDDED_VOCAB,
  COLOR_RGB,
  MAX_CAPTION_WORDS,
  EmbeddedDataset,
  allCombinations,
  combinationKey,
  createEmbeddedSplits,
  describeClip,
  generateEmbeddedClip,
  type EmbeddedAttributes,
  type EmbeddedClip,
} from './index.js';
import { Rng } from '../augment/random.js';
import { clipCaptions } from './captions.js';
import { positionAt } from './scene.js';

const T = 8;
const H = 32;
const W = 32;

/** Centroid (x, y) of the pixels close to the object's colour in each frame (pixel centres at +0.5). */
function objectCentroids(clip: EmbeddedClip): [number, number][] {
  const rgb = COLOR_RGB[clip.attributes.color];
  const [t, h, w] = clip.videoShape;
  const out: [number, number][] = [];
  for (let f = 0; f < t; f++) {
    let sx = 0;
    let sy = 0;
    let n = 0;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const o = ((f * h + y) * w + x) * 3;
        const d = Math.hypot(clip.video[o] - rgb[0], clip.video[o + 1] - rgb[1], clip.video[o + 2] - rgb[2]);
        if (d < 60) {
          sx += x + 0.5;
          sy += y + 0.5;
          n++;
        }
      }
    }
    out.push([sx / n, sy / n]);
  }
  return out;
}

/** Audio samples under video frame f (frame f spans [f, f + 1) / fps seconds). */
function frameWindow(clip: EmbeddedClip, f: number): Float32Array {
  const per = clip.audio.length / clip.videoShape[0];
  return clip.audio.subarray(f * per, (f + 1) * per);
}

function rms(x: Float32Array): number {
  let s = 0;
  for (const v of x) s += v * v;
  return Math.sqrt(s / x.length);
}

/** Fundamental frequency by autocorrelation with parabolic peak interpolation. */
function pitchHz(x: Float32Array, sampleRate: number): number {
  const ac = (lag: number) => {
    let s = 0;
    for (let i = 0; i + lag < x.length; i++) s += x[i] * x[i + lag];
    return s / (x.length - lag);
  };
  const minLag = Math.floor(sampleRate / 1200);
  const maxLag = Math.ceil(sampleRate / 80);
  let best = minLag;
  // The first peak above 80 % of the best one is the fundamental period (guards against octave errors).
  const values = Array.from({ length: maxLag + 2 }, (_, lag) => (lag >= minLag - 1 ? ac(lag) : 0));
  const top = Math.max(...values.slice(minLag, maxLag + 1));
  for (let lag = minLag + 1; lag <= maxLag; lag++) {
    if (values[lag] >= values[lag - 1] && values[lag] >= values[lag + 1] && values[lag] > 0.8 * top) {
      best = lag;
      break;
    }
  }
  const [a, b, c] = [values[best - 1], values[best], values[best + 1]];
  const shift = (a - c) / (2 * (a - 2 * b + c));
  return sampleRate / (best + (Number.isFinite(shift) ? shift : 0));
}

function correlation(a: number[], b: number[]): number {
  const mean = (x: number[]) => x.reduce((s, v) => s + v, 0) / x.length;
  const [ma, mb] = [mean(a), mean(b)];
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += (a[i] - ma) * (b[i] - mb);
    aa += (a[i] - ma) ** 2;
    bb += (b[i] - mb) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

const words = (caption: string) => caption.split(/\s+/).filter(Boolean);

describe('embedded dataset', () => {
  test('the same seed gives the same bytes, captions and attributes; another seed gives different clips', () => {
    const a = new EmbeddedDataset({ seed: 3 }).clip(5);
    const b = new EmbeddedDataset({ seed: 3 }).clip(5);
    const c = new EmbeddedDataset({ seed: 4 }).clip(5);
    expect(Buffer.from(a.video).equals(Buffer.from(b.video))).toBe(true);
    expect(Buffer.from(a.audio.buffer).equals(Buffer.from(b.audio.buffer))).toBe(true);
    expect(a.captions).toEqual(b.captions);
    expect(Buffer.from(a.video).equals(Buffer.from(c.video))).toBe(false);
    expect(Buffer.from(a.audio.buffer).equals(Buffer.from(c.audio.buffer))).toBe(false);
    const orderA = Array.from({ length: 20 }, (_, i) => combinationKey(new EmbeddedDataset({ seed: 3 }).attributesOf(i)));
    const orderC = Array.from({ length: 20 }, (_, i) => combinationKey(new EmbeddedDataset({ seed: 4 }).attributesOf(i)));
    expect(orderA).not.toEqual(orderC);
  });

  test('asking for more captions changes neither the pixels nor the waveform of a clip', () => {
    const attrs: EmbeddedAttributes = { shape: 'cross', color: 'cyan', motion: 'up' };
    const five = generateEmbeddedClip(attrs, { seed: 11 });
    const eight = generateEmbeddedClip(attrs, { seed: 11, numCaptions: 8 });
    expect(eight.captions).toHaveLength(8);
    expect(Buffer.from(five.video).equals(Buffer.from(eight.video))).toBe(true);
    expect(Array.from(five.audio)).toEqual(Array.from(eight.audio));
  });

  test('clips have the default shapes, rates and value ranges the tiny preset expects', () => {
    const { train, heldout } = createEmbeddedSplits();
    expect([train.size, heldout.size]).toEqual([512, 96]);
    expect([train.numFrames, train.fps, train.sampleRate, train.numSamples, train.numCaptions]).toEqual([8, 10, 5120, 4096, 5]);
    const clip = train.clip(0);
    expect(clip.videoShape).toEqual([T, H, W, 3]);
    expect(clip.video).toBeInstanceOf(Uint8Array);
    expect(clip.video.length).toBe(T * H * W * 3);
    expect(clip.audio).toBeInstanceOf(Float32Array);
    expect(clip.audio.length).toBe(4096);
    expect(clip.audio.length % 128).toBe(0);
    expect(clip.audio.every((v) => Number.isFinite(v) && v >= -1 && v <= 1)).toBe(true);
    expect(rms(clip.audio)).toBeGreaterThan(0.05);
    expect(clip.captions).toHaveLength(5);
    expect(clip.caption).toBe(clip.captions[0]);
    expect(clip.id).toBe('embedded/train/000000');
  });

  test('custom sizes keep audio and video spanning the same time', () => {
    const ds = new EmbeddedDataset({ numFrames: 16, height: 48, width: 40, fps: 20, sampleRate: 8000, size: 2 });
    const clip = ds.clip(1);
    expect(clip.videoShape).toEqual([16, 48, 40, 3]);
    expect(clip.audio.length).toBe(6400); // 16 / 20 s * 8000 Hz
    expect(() => new EmbeddedDataset({ numFrames: 7, fps: 10, sampleRate: 5001 })).toThrow(/whole number of samples/);
    expect(() => new EmbeddedDataset({ height: 8 })).toThrow(/height must be an integer >= 16/);
  });

  test.each(EMBEDDED_MOTIONS.map((m) => [m]))('the coloured shape moves %s, inside the frame, along its recorded trajectory', (motion) => {
    for (const shape of EMBEDDED_SHAPES) {
      const clip = generateEmbeddedClip({ shape, color: 'yellow', motion }, { seed: 21, distractorProbability: 1 });
      const seen = objectCentroids(clip);
      for (let t = 0; t < T; t++) {
        const [x, y] = positionAt(clip.attributes, clip.nuisance, t);
        // Anti-aliased edges and the rotation shift a shape's pixel centroid a little off its centre.
        expect(Math.abs(seen[t][0] - x)).toBeLessThan(1.2);
        expect(Math.abs(seen[t][1] - y)).toBeLessThan(1.2);
        const r = clip.nuisance.radius;
        expect(x - r).toBeGreaterThanOrEqual(0);
        expect(x + r).toBeLessThanOrEqual(W);
        expect(y - r).toBeGreaterThanOrEqual(0);
        expect(y + r).toBeLessThanOrEqual(H);
      }
      const dx = seen[T - 1][0] - seen[0][0];
      const dy = seen[T - 1][1] - seen[0][1];
      const expected = { left: [-1, 0], right: [1, 0], up: [0, -1], down: [0, 1] }[motion];
      expect(dx * expected[0] + dy * expected[1]).toBeGreaterThan(0.25 * W);
    }
  });

  test('loudness follows the horizontal position frame by frame (louder moving right, quieter moving left)', () => {
    for (const motion of ['left', 'right'] as const) {
      for (let seed = 0; seed < 4; seed++) {
        const clip = generateEmbeddedClip({ shape: EMBEDDED_SHAPES[seed], color: EMBEDDED_COLORS[seed], motion }, { seed });
        const xs = objectCentroids(clip).map(([x]) => x);
        // Skip the first and last frame: they hold the 8 ms fade in/out.
        const loud = xs.map((_, f) => rms(frameWindow(clip, f)));
        expect(correlation(xs.slice(1, -1), loud.slice(1, -1))).toBeGreaterThan(0.9);
        const ys = objectCentroids(clip).map(([, y]) => y);
        expect(Math.max(...ys) - Math.min(...ys)).toBeLessThan(1);
      }
    }
  });

  test('pitch follows the height frame by frame (rising moving up, falling moving down) and the colour sets the note', () => {
    for (const motion of ['up', 'down'] as const) {
      for (let seed = 0; seed < 4; seed++) {
        const clip = generateEmbeddedClip({ shape: EMBEDDED_SHAPES[seed], color: EMBEDDED_COLORS[seed], motion }, { seed });
        const height = objectCentroids(clip).map(([, y]) => -y);
        const pitch = height.map((_, f) => pitchHz(frameWindow(clip, f), clip.audio.length / T * 10));
        expect(correlation(height, pitch)).toBeGreaterThan(0.9);
      }
    }
    // Base pitch rises through the colour list: the first frame of a 'left' clip (no glide) shows it.
    const first = EMBEDDED_COLORS.map((color) => {
      const clip = generateEmbeddedClip({ shape: 'circle', color, motion: 'left' }, { seed: 2 });
      return pitchHz(frameWindow(clip, 1), 5120);
    });
    for (let i = 1; i < first.length; i++) expect(first[i] / first[i - 1]).toBeGreaterThan(1.3);
  });

  test('held-out attribute triples never occur in train, while each of their pairs does', () => {
    const heldKeys = new Set(EMBEDDED_HELDOUT_COMBINATIONS.map(combinationKey));
    expect(heldKeys.size).toBe(12);
    const train = new EmbeddedDataset({ split: 'train', size: 2000, seed: 9 });
    const trainKeys = new Set(Array.from({ length: train.size }, (_, i) => combinationKey(train.attributesOf(i))));
    for (const key of heldKeys) expect(trainKeys.has(key)).toBe(false);
    expect(trainKeys.size).toBe(96 - 12);
    const trainTriples = Array.from({ length: 84 }, (_, i) => train.attributesOf(i));
    for (const h of EMBEDDED_HELDOUT_COMBINATIONS) {
      expect(trainTriples.some((a) => a.shape === h.shape && a.color === h.color)).toBe(true);
      expect(trainTriples.some((a) => a.shape === h.shape && a.motion === h.motion)).toBe(true);
      expect(trainTriples.some((a) => a.color === h.color && a.motion === h.motion)).toBe(true);
    }
  });

  test('the default held-out split shows every triple exactly once, the unseen ones first, as new nuisance variants', () => {
    const { train, heldout } = createEmbeddedSplits({ seed: 1 });
    const keys = Array.from({ length: heldout.size }, (_, i) => combinationKey(heldout.attributesOf(i)));
    expect(new Set(keys).size).toBe(96);
    expect(new Set(keys.slice(0, 12))).toEqual(new Set(EMBEDDED_HELDOUT_COMBINATIONS.map(combinationKey)));
    expect(heldout.combinations).toHaveLength(96);
    expect(train.combinations).toHaveLength(84);
    // A seen triple in held-out is drawn with different nuisance than any train clip of that triple.
    const probe = heldout.clip(20);
    const starts = Array.from({ length: train.size }, (_, i) => i)
      .filter((i) => combinationKey(train.attributesOf(i)) === probe.label)
      .map((i) => train.clip(i).nuisance.start);
    expect(starts.length).toBeGreaterThan(0);
    for (const s of starts) expect(s).not.toEqual(probe.nuisance.start);
  });

  test('captions use only the vocabulary, fit the tiny text preset, and describe the attributes', () => {
    expect(EMBEDDED_VOCAB.slice(0, 4)).toEqual(['<pad>', '<bos>', '<eos>', '<unk>']);
    expect(new Set(EMBEDDED_VOCAB).size).toBe(EMBEDDED_VOCAB.length);
    expect(EMBEDDED_VOCAB.length).toBeLessThanOrEqual(512); // TINY_TEXT_INPUT.vocabSize
    const vocab = new Set(EMBEDDED_VOCAB);
    const colorWords = (c: string) => ({ red: ['red', 'crimson'], green: ['green', 'lime'], blue: ['blue', 'navy'], yellow: ['yellow', 'golden'], purple: ['purple', 'violet'], cyan: ['cyan', 'turquoise'] })[c]!;
    const used = new Set<string>();
    const problems: string[] = [];
    // Captions come from their own seed stream, so checking them needs no pixels or samples.
    for (const attributes of allCombinations()) {
      const otherColorWords = EMBEDDED_COLORS.filter((c) => c !== attributes.color).flatMap(colorWords);
      for (let seed = 0; seed < 25; seed++) {
        const captions = clipCaptions(attributes, 5, new Rng(seed));
        if (captions.length !== 5 || new Set(captions).size !== 5) problems.push(`not 5 distinct captions: ${captions.join(' | ')}`);
        if (captions[0] !== `a ${attributes.color} ${attributes.shape} moving ${attributes.motion}`) problems.push(`description: ${captions[0]}`);
        for (const caption of captions) {
          if (/[^a-z ]/.test(caption)) problems.push(`not lowercase words: ${caption}`);
          if (words(caption).length > MAX_CAPTION_WORDS) problems.push(`too long: ${caption}`);
          for (const w of words(caption)) {
            used.add(w);
            if (!vocab.has(w)) problems.push(`"${w}" not in the vocabulary: ${caption}`);
            if (otherColorWords.includes(w)) problems.push(`names another colour: ${caption} (${combinationKey(attributes)})`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
    const clip = new EmbeddedDataset({ seed: 5 }).clip(3);
    expect(clip.captions[0]).toBe(describeClip(clip.attributes));
    expect(clip.captions.slice(1).some((c) => c !== clip.captions[0])).toBe(true);
    // Synonyms and narration words do occur.
    for (const w of ['crimson', 'box', 'leftward', 'pitch', 'louder', 'tone']) expect(used.has(w)).toBe(true);
  });

  test('batch stacks clips in order, equal to the clips one by one', () => {
    const ds = new EmbeddedDataset({ size: 10, seed: 2 });
    const batch = ds.batch([3, 7, 3]);
    expect(batch.videoShape).toEqual([3, T, H, W, 3]);
    expect(batch.audioShape).toEqual([3, 4096]);
    const seven = ds.clip(7);
    const frame = T * H * W * 3;
    expect(Buffer.from(batch.video.subarray(frame, 2 * frame)).equals(Buffer.from(seven.video))).toBe(true);
    expect(Array.from(batch.audio.subarray(4096, 8192))).toEqual(Array.from(seven.audio));
    expect(batch.captions[1]).toEqual(seven.captions);
    expect(batch.caption[1]).toBe(seven.caption);
    expect(batch.labels[1]).toBe(seven.label);
    expect(batch.ids).toEqual([ds.clip(3).id, seven.id, ds.clip(3).id]);
    expect([...ds].map((c) => c.id)).toHaveLength(10);
  });

  test('bad inputs get errors that name the input and what was expected', () => {
    const ds = new EmbeddedDataset({ size: 4 });
    expect(() => ds.clip(4)).toThrow(/index must be an integer in \[0, 4\); got 4/);
    expect(() => ds.batch([])).toThrow(/indices must be a non-empty array/);
    expect(() => new EmbeddedDataset({ size: 0 })).toThrow(/size must be a positive integer/);
    expect(() => new EmbeddedDataset({ split: 'test' as never })).toThrow(/split must be 'train' or 'heldout'/);
    expect(() => new EmbeddedDataset({ distractorProbability: 2 })).toThrow(/distractorProbability must be in \[0, 1\]/);
    expect(() => new EmbeddedDataset({ heldoutCombinations: allCombinations() })).toThrow(/train split would be empty/);
    expect(() => generateEmbeddedClip({ shape: 'star', color: 'red', motion: 'up' } as never)).toThrow(/attributes.shape must be one of circle, square, triangle, cross; got "star"/);
  });

  test('generation is fast enough to make clips on demand (timing reported)', () => {
    // Kept small: jest's module sandbox runs this code several times slower than plain Node.
    const ds = new EmbeddedDataset({ size: 20, seed: 0 });
    const t0 = performance.now();
    let checksum = 0;
    for (const clip of ds) checksum += clip.video[0] + clip.audio[0];
    const ms = performance.now() - t0;
    console.log(`embedded dataset (under jest): ${(ms / ds.size).toFixed(2)} ms per clip (8x32x32x3 video, 4096 audio samples, 5 captions)`);
    expect(Number.isFinite(checksum)).toBe(true);
  });
});
