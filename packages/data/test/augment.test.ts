import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { hashSeed, Rng } from '@vatt/tokenizers';
import { addGaussianNoise, adjustColors, colorJitter, cropResize, inceptionCropBox, vggCropBox } from '../src/index.js';
import type { ColorAdjustment, CropBox } from '../src/index.js';

const golden = JSON.parse(readFileSync(fileURLToPath(new URL('./golden/augment.json', import.meta.url)), 'utf8')) as {
  cropResize: { shape: number[]; frames: number[]; cases: { box: CropBox; out: [number, number]; flip: boolean; expected: number[] }[] };
  adjustColors: { shape: number[]; frames: number[]; cases: { adjustment: ColorAdjustment; expected: number[] }[] };
};

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('Rng', () => {
  test('the same seed gives the same stream, different seeds differ', () => {
    const a = new Rng(7);
    const b = new Rng(7);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(new Rng(8).next()).not.toBe(xs[0]);
    expect(hashSeed(1, 2, 3)).not.toBe(hashSeed(1, 3, 2));
  });

  test('uniform and normal draws have the expected moments', () => {
    const rng = new Rng(1);
    const n = 20000;
    let mean = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) mean += rng.next() / n;
    for (let i = 0; i < n; i++) sq += rng.normal() ** 2 / n;
    expect(mean).toBeCloseTo(0.5, 1);
    expect(sq).toBeCloseTo(1, 1);
  });
});

describe('cropResize (bilinear, half-pixel centres)', () => {
  test('matches torch interpolate(bilinear, align_corners=False) on crops, up- and downscaling, flipped', () => {
    const [numFrames, height, width] = golden.cropResize.shape;
    const frames = Uint8Array.from(golden.cropResize.frames);
    for (const c of golden.cropResize.cases) {
      const out = cropResize(frames, { numFrames, height, width }, c.box, c.out[0], c.out[1], { flip: c.flip, scale: 1 / 255 });
      expect(maxAbsDiff(out, c.expected)).toBeLessThan(1e-5);
    }
  });

  test('the full frame at its own size is the identity', () => {
    const src = Float32Array.from({ length: 2 * 3 * 4 * 3 }, (_, i) => i);
    const out = cropResize(src, { numFrames: 2, height: 3, width: 4 }, { top: 0, left: 0, height: 3, width: 4 }, 3, 4);
    expect(Array.from(out)).toEqual(Array.from(src));
  });
});

describe('crop boxes', () => {
  test('Inception-style boxes stay inside the frame with area in [0.08, 1] and aspect in [0.5, 2]', () => {
    for (let seed = 0; seed < 300; seed++) {
      const box = inceptionCropBox(240, 320, new Rng(seed));
      expect(box.top >= 0 && box.left >= 0 && box.top + box.height <= 240 && box.left + box.width <= 320).toBe(true);
      const area = (box.height * box.width) / (240 * 320);
      expect(area).toBeGreaterThan(0.07);
      expect(area).toBeLessThanOrEqual(1);
      const aspect = box.width / box.height;
      if (area < 1) {
        expect(aspect).toBeGreaterThan(0.45);
        expect(aspect).toBeLessThan(2.2);
      }
    }
  });

  test('VGG-style boxes are a crop of size/scale with scale in [0.8, 1.2] per axis, inside the frame', () => {
    const sizes = new Set<number>();
    for (let seed = 0; seed < 300; seed++) {
      const box = vggCropBox(224, 298, 224, new Rng(seed));
      expect(box.top + box.height).toBeLessThanOrEqual(224 + 1e-9);
      expect(box.left + box.width).toBeLessThanOrEqual(298 + 1e-9);
      expect(box.height).toBeGreaterThanOrEqual(224 / 1.2 - 1);
      expect(box.height).toBeLessThanOrEqual(224);
      expect(box.width).toBeGreaterThanOrEqual(224 / 1.2 - 1);
      sizes.add(Math.round(box.width));
    }
    expect(sizes.size).toBeGreaterThan(10);
  });
});

describe('colour jitter', () => {
  test('adjustColors matches the colorsys reference (brightness, saturation, contrast, hue, clip)', () => {
    const [numFrames, height, width] = golden.adjustColors.shape;
    for (const c of golden.adjustColors.cases) {
      const frames = Float32Array.from(golden.adjustColors.frames);
      adjustColors(frames, { numFrames, height, width }, c.adjustment);
      expect(maxAbsDiff(frames, c.expected)).toBeLessThan(1e-5);
    }
  });

  test('a hue shift by whole turns is no shift, also where the shift rounds to the ends of the circle (one wrap suffices)', () => {
    const [numFrames, height, width] = golden.adjustColors.shape;
    const shape = { numFrames, height, width };
    const shifted = (hue: number) => adjustColors(Float32Array.from(golden.adjustColors.frames), shape, { brightness: 0, saturation: 1, contrast: 1, hue });
    for (const [a, b] of [
      [0, -1e-20], // (shift - floor(shift)) * 6 rounds to 6
      [0, 1],
      [0, -3],
      [0.25, 1.25],
      [0.9999999999999999, -1e-16],
    ]) {
      const x = shifted(a);
      const y = shifted(b);
      expect(x.every((v) => v >= 0 && v <= 1)).toBe(true);
      expect(maxAbsDiff(y, x)).toBeLessThan(1e-6);
    }
    expect(maxAbsDiff(shifted(0.25), shifted(0))).toBeGreaterThan(0.01);
  });

  test('colorJitter keeps values in [0, 1], is seeded, and with prob 0 changes nothing', () => {
    const shape = { numFrames: 2, height: 4, width: 4 };
    const base = Float32Array.from({ length: 96 }, (_, i) => (i % 17) / 16);
    const a = colorJitter(base.slice(), shape, new Rng(5), { prob: 1 });
    const b = colorJitter(base.slice(), shape, new Rng(5), { prob: 1 });
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Math.min(...a)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...a)).toBeLessThanOrEqual(1);
    expect(maxAbsDiff(a, base)).toBeGreaterThan(0.01);
    expect(Array.from(colorJitter(base.slice(), shape, new Rng(5), { prob: 0 }))).toEqual(Array.from(base));
  });
});

describe('audio noise', () => {
  test('Gaussian noise has std 0.01 x max|x| (docs/numerics.md §1.2)', () => {
    const n = 48000;
    const clean = Float32Array.from({ length: n }, (_, i) => 0.5 * Math.sin(i / 10));
    const noisy = addGaussianNoise(clean.slice(), new Rng(3));
    let sq = 0;
    for (let i = 0; i < n; i++) sq += (noisy[i] - clean[i]) ** 2;
    expect(Math.sqrt(sq / n)).toBeCloseTo(0.005, 3);
    expect(Array.from(addGaussianNoise(new Float32Array(4), new Rng(3)))).toEqual([0, 0, 0, 0]);
  });
});
