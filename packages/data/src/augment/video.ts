import type { CropBox } from '../sampling/clips.js';
import type { Rng } from '@vatt/tokenizers/random';

/** Frames `[numFrames, height, width, 3]`, row-major, channels last. */
export interface FrameShape {
  numFrames: number;
  height: number;
  width: number;
}

/**
 * Crops `box` out of every frame and resizes it to `outHeight` x `outWidth` with bilinear
 * interpolation (half-pixel centres, as TF2 `tf.image.resize`), optionally mirrored, writing
 * float32 values multiplied by `scale` (1/255 turns rgb24 into [0, 1]). One pass: crop + resize
 * + flip + normalise. `out` (optional) receives the result instead of a new array (the loader's reused buffers).
 *
 * @example
 * const out = cropResize(frames, { numFrames: 32, height: 240, width: 320 }, { top: 8, left: 40, height: 224, width: 224 }, 112, 112, { scale: 1 / 255 });
 */
export function cropResize(
  src: Uint8Array | Float32Array,
  shape: FrameShape,
  box: CropBox,
  outHeight: number,
  outWidth: number,
  options: { flip?: boolean; scale?: number; out?: Float32Array } = {},
): Float32Array {
  const { numFrames, height, width } = shape;
  if (src.length < numFrames * height * width * 3) throw new Error(`cropResize: expected ${numFrames}x${height}x${width}x3 values, got ${src.length}`);
  const scale = options.scale ?? 1;
  // Source coordinates of each output column/row, computed once.
  const axis = (outSize: number, offset: number, size: number, limit: number) => {
    const lo = new Int32Array(outSize);
    const hi = new Int32Array(outSize);
    const frac = new Float32Array(outSize);
    for (let i = 0; i < outSize; i++) {
      // Clamped to the crop (not the frame): an integer box equals crop-then-resize exactly.
      const x = Math.min(Math.min(limit - 1, offset + size - 1), Math.max(offset, offset + ((i + 0.5) * size) / outSize - 0.5));
      lo[i] = Math.floor(x);
      hi[i] = Math.min(limit - 1, lo[i] + 1);
      frac[i] = x - lo[i];
    }
    return { lo, hi, frac };
  };
  const ys = axis(outHeight, box.top, box.height, height);
  const xs = axis(outWidth, box.left, box.width, width);
  if (options.flip) {
    xs.lo.reverse();
    xs.hi.reverse();
    xs.frac.reverse();
  }
  const size = numFrames * outHeight * outWidth * 3;
  if (options.out && options.out.length !== size) throw new Error(`cropResize: options.out has ${options.out.length} values, expected ${size}`);
  const out = options.out ?? new Float32Array(size);
  const rowStride = width * 3;
  let o = 0;
  for (let t = 0; t < numFrames; t++) {
    const frame = t * height * rowStride;
    for (let i = 0; i < outHeight; i++) {
      const r0 = frame + ys.lo[i] * rowStride;
      const r1 = frame + ys.hi[i] * rowStride;
      const fy = ys.frac[i];
      for (let j = 0; j < outWidth; j++) {
        // The three channels written out (the loader's second-hottest loop).
        const c0 = xs.lo[j] * 3;
        const c1 = xs.hi[j] * 3;
        const fx = xs.frac[j];
        const a = r0 + c0;
        const b = r0 + c1;
        const c = r1 + c0;
        const d = r1 + c1;
        let top = src[a] + (src[b] - src[a]) * fx;
        let bottom = src[c] + (src[d] - src[c]) * fx;
        out[o++] = (top + (bottom - top) * fy) * scale;
        top = src[a + 1] + (src[b + 1] - src[a + 1]) * fx;
        bottom = src[c + 1] + (src[d + 1] - src[c + 1]) * fx;
        out[o++] = (top + (bottom - top) * fy) * scale;
        top = src[a + 2] + (src[b + 2] - src[a + 2]) * fx;
        bottom = src[c + 2] + (src[d + 2] - src[c + 2]) * fx;
        out[o++] = (top + (bottom - top) * fy) * scale;
      }
    }
  }
  return out;
}

/**
 * Inception-style random crop box (the paper's pre-training crop, docs/numerics.md §7, and the fine-tuning crop
 * of docs/numerics.md §8.1): area fraction in `area`, aspect ratio (w/h) log-uniform in `aspect`, up to
 * `attempts` tries, else the whole frame (as TF's sample_distorted_bounding_box falls back).
 *
 * @example
 * inceptionCropBox(240, 320, new Rng(1)); // { top: 31, left: 102, height: 150, width: 171 }
 */
export function inceptionCropBox(
  height: number,
  width: number,
  rng: Rng,
  options: { area?: [number, number]; aspect?: [number, number]; attempts?: number } = {},
): CropBox {
  const [minArea, maxArea] = options.area ?? [0.08, 1];
  const [minAspect, maxAspect] = options.aspect ?? [0.5, 2];
  for (let attempt = 0; attempt < (options.attempts ?? 10); attempt++) {
    const area = rng.uniform(minArea, maxArea) * height * width;
    const aspect = Math.exp(rng.uniform(Math.log(minAspect), Math.log(maxAspect)));
    const w = Math.round(Math.sqrt(area * aspect));
    const h = Math.round(Math.sqrt(area / aspect));
    if (w >= 1 && h >= 1 && w <= width && h <= height) {
      return { top: rng.int(height - h + 1), left: rng.int(width - w + 1), height: h, width: w };
    }
  }
  return { top: 0, left: 0, height, width };
}

/**
 * VGG-style crop box (the official code's pre-training default, docs/numerics.md §7): with probability `prob`
 * the frame is rescaled by independent factors in `scale` along height and width, then a random
 * `size` x `size` crop is taken. Expressed as the equivalent box in the unscaled frame so one
 * bilinear pass does both; a rescaled side shorter than `size` is clamped to `size` (TF would fail).
 *
 * @example
 * vggCropBox(224, 298, 224, new Rng(1)); // box of about 224/hs x 224/ws source pixels
 */
export function vggCropBox(height: number, width: number, size: number, rng: Rng, options: { scale?: [number, number]; prob?: number } = {}): CropBox {
  const [lo, hi] = options.scale ?? [0.8, 1.2];
  const hs0 = rng.uniform(lo, hi);
  const ws0 = rng.uniform(lo, hi);
  const jitter = rng.chance(options.prob ?? 0.8);
  const scaledH = Math.max(size, Math.floor((jitter ? hs0 : 1) * height));
  const scaledW = Math.max(size, Math.floor((jitter ? ws0 : 1) * width));
  const top = rng.int(scaledH - size + 1);
  const left = rng.int(scaledW - size + 1);
  const fy = height / scaledH;
  const fx = width / scaledW;
  return { top: top * fy, left: left * fx, height: size * fy, width: size * fx };
}

/** Colour jitter ranges (docs/numerics.md §7 / DMVR `color_default_augm`). */
export interface ColorJitterOptions {
  /** Probability of jittering a clip at all (0.8). */
  prob?: number;
  /** Brightness delta, uniform in [-b, b] (32/255). */
  brightness?: number;
  /** Saturation factor range ([0.6, 1.4]). */
  saturation?: [number, number];
  /** Contrast factor range ([0.6, 1.4]). */
  contrast?: [number, number];
  /** Hue shift, uniform in [-h, h] of the colour circle (0.2). */
  hue?: number;
}

/** One draw of colour-jitter parameters. */
export interface ColorAdjustment {
  /** Added to every value. */
  brightness: number;
  /** Multiplies HSV saturation (then clipped to [0, 1]). */
  saturation: number;
  /** Scales each value's distance to its frame-and-channel mean. */
  contrast: number;
  /** Added to HSV hue (a fraction of the colour circle, wraps). */
  hue: number;
}

/**
 * Applies one colour adjustment to float frames in [0, 1], in place, in DMVR's order
 * (`color_default_augm`): brightness, saturation, contrast (mean per frame and channel, as
 * tf.image.adjust_contrast), hue; then clip to [0, 1].
 *
 * @example
 * adjustColors(frames, { numFrames: 1, height: 2, width: 2 }, { brightness: 0.1, saturation: 1.2, contrast: 0.9, hue: 0.05 });
 */
export function adjustColors(frames: Float32Array, shape: FrameShape, adjustment: ColorAdjustment): Float32Array {
  const { brightness: delta, saturation: sat, contrast: con, hue: shift } = adjustment;
  const pixelsPerFrame = shape.height * shape.width;
  // Hue shift in sixths of the colour circle, in [0, 6] (6 only by rounding): the rotation below needs no modulo.
  const shift6 = (shift - Math.floor(shift)) * 6;
  // (Written out with comparisons instead of Math.max/min and %: this is the loader's hottest loop.)
  for (let t = 0; t < shape.numFrames; t++) {
    const base = t * pixelsPerFrame * 3;
    const end = base + pixelsPerFrame * 3;
    let meanR = 0;
    let meanG = 0;
    let meanB = 0;
    for (let p = base; p < end; p += 3) {
      let r = frames[p] + delta;
      let g = frames[p + 1] + delta;
      let b = frames[p + 2] + delta;
      let v: number;
      let lo: number;
      if (r > g) {
        v = r > b ? r : b;
        lo = g < b ? g : b;
      } else {
        v = g > b ? g : b;
        lo = r < b ? r : b;
      }
      const range = v - lo;
      // Saturation in HSV with h and v fixed is affine in s: c' = v - (v - c) * s'/s, with
      // s = (v - min)/v, s' = clip(s * factor, 0, 1) (TF's rgb_to_hsv: s = 0 when v <= 0).
      if (v > 0 && range > 0) {
        // min(sat, v / range), clipped at 0: the division only where it decides.
        const ratio = sat * range < v ? (sat > 0 ? sat : 0) : v / range;
        r = v - (v - r) * ratio;
        g = v - (v - g) * ratio;
        b = v - (v - b) * ratio;
      }
      frames[p] = r;
      frames[p + 1] = g;
      frames[p + 2] = b;
      meanR += r;
      meanG += g;
      meanB += b;
    }
    meanR /= pixelsPerFrame;
    meanG /= pixelsPerFrame;
    meanB /= pixelsPerFrame;
    for (let p = base; p < end; p += 3) {
      const r = (frames[p] - meanR) * con + meanR;
      const g = (frames[p + 1] - meanG) * con + meanG;
      const b = (frames[p + 2] - meanB) * con + meanB;
      // Hue rotation through HSV (TF's rgb_to_hsv / hsv_to_rgb conventions).
      let v: number;
      let lo: number;
      if (r > g) {
        v = r > b ? r : b;
        lo = g < b ? g : b;
      } else {
        v = g > b ? g : b;
        lo = r < b ? r : b;
      }
      const range = v - lo;
      let outR = v;
      let outG = v;
      let outB = v;
      if (range > 0 && v > 0) {
        // h in [-1, 5] sixths (5 only by rounding), shifted by shift6 in [0, 6] (6 when a shift just below a whole
        // turn rounds up), so in [-1, 11]: one wrap each way brings it to [0, 6). Then hsv_to_rgb by sector: one
        // channel at v, one at v - range, the third in between (TF's per-channel clamp(min(k, 4 - k), 0, 1) form).
        let h = (v === r ? (g - b) / range : v === g ? 2 + (b - r) / range : 4 + (r - g) / range) + shift6;
        if (h < 0) h += 6;
        if (h >= 6) h -= 6;
        const sector = h | 0;
        const rising = lo + range * (h - sector);
        const falling = v - range * (h - sector);
        switch (sector) {
          case 0:
            outG = rising;
            outB = lo;
            break;
          case 1:
            outR = falling;
            outB = lo;
            break;
          case 2:
            outR = lo;
            outB = rising;
            break;
          case 3:
            outR = lo;
            outG = falling;
            break;
          case 4:
            outR = rising;
            outG = lo;
            break;
          default:
            outG = lo;
            outB = falling;
        }
      }
      frames[p] = outR < 0 ? 0 : outR > 1 ? 1 : outR;
      frames[p + 1] = outG < 0 ? 0 : outG > 1 ? 1 : outG;
      frames[p + 2] = outB < 0 ? 0 : outB > 1 ? 1 : outB;
    }
  }
  return frames;
}

/**
 * Random colour jitter (docs/numerics.md §7), one draw for the whole clip, applied with probability `prob`:
 * brightness +-32/255, saturation and contrast x[0.6, 1.4], hue +-0.2; see `adjustColors`.
 *
 * @example
 * colorJitter(frames, { numFrames: 32, height: 224, width: 224 }, new Rng(3));
 */
export function colorJitter(frames: Float32Array, shape: FrameShape, rng: Rng, options: ColorJitterOptions = {}): Float32Array {
  const { prob = 0.8, brightness = 32 / 255, saturation = [0.6, 1.4], contrast = [0.6, 1.4], hue = 0.2 } = options;
  const apply = rng.chance(prob);
  const adjustment: ColorAdjustment = {
    brightness: rng.uniform(-brightness, brightness),
    saturation: rng.uniform(saturation[0], saturation[1]),
    contrast: rng.uniform(contrast[0], contrast[1]),
    hue: rng.uniform(-hue, hue),
  };
  return apply ? adjustColors(frames, shape, adjustment) : frames;
}
