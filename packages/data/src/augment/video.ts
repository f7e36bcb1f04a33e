import type { CropBox } from '../sampling/clips.js';
import type { Rng } from './random.js';

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
 * + flip + normalise.
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
  options: { flip?: boolean; scale?: number } = {},
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
  const out = new Float32Array(numFrames * outHeight * outWidth * 3);
  const rowStride = width * 3;
  let o = 0;
  for (let t = 0; t < numFrames; t++) {
    const frame = t * height * rowStride;
    for (let i = 0; i < outHeight; i++) {
      const r0 = frame + ys.lo[i] * rowStride;
      const r1 = frame + ys.hi[i] * rowStride;
      const fy = ys.frac[i];
      for (let j = 0; j < outWidth; j++) {
        const c0 = xs.lo[j] * 3;
        const c1 = xs.hi[j] * 3;
        const fx = xs.frac[j];
        for (let c = 0; c < 3; c++) {
          const top = src[r0 + c0 + c] + (src[r0 + c1 + c] - src[r0 + c0 + c]) * fx;
          const bottom = src[r1 + c0 + c] + (src[r1 + c1 + c] - src[r1 + c0 + c]) * fx;
          out[o++] = (top + (bottom - top) * fy) * scale;
        }
      }
    }
  }
  return out;
}

/**
 * Inception-style random crop box (the paper's pre-training crop, spec 7, and the fine-tuning crop
 * of spec 8.1): area fraction in `area`, aspect ratio (w/h) log-uniform in `aspect`, up to
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
 * VGG-style crop box (the official code's pre-training default, spec 7): with probability `prob`
 * the frame is rescaled by independent factors in `scale` along height and width, then a random
 * `size` x `size` crop is taken. Expressed as the equivalent box in the unscaled frame so one
 * bilinear pass does both; a rescaled side shorter than `size` is clamped to `size` (TF would fail).
 *
 * @example
 * vggCropBox(224, 298, 224, new Rng(1)); // box of about 224/hs x 224/ws source pixels
 */
export function vggCropBox(
  height: number,
  width: number,
  size: number,
  rng: Rng,
  options: { scale?: [number, number]; prob?: number } = {},
): CropBox {
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

/** Colour jitter ranges (spec 7 / DMVR `color_default_augm`). */
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

function rgbToHsv(r: number, g: number, b: number, out: Float32Array): void {
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const range = max - min;
  let h = 0;
  if (range > 0) {
    if (max === r) h = (g - b) / range;
    else if (max === g) h = 2 + (b - r) / range;
    else h = 4 + (r - g) / range;
    h /= 6;
    if (h < 0) h += 1;
  }
  out[0] = h;
  out[1] = max > 0 ? range / max : 0;
  out[2] = max;
}

function hsvToRgb(h: number, s: number, v: number, out: Float32Array): void {
  const h6 = (h - Math.floor(h)) * 6;
  const k = (n: number) => {
    const x = (n + h6) % 6;
    return v - v * s * Math.max(0, Math.min(x, 4 - x, 1));
  };
  out[0] = k(5);
  out[1] = k(3);
  out[2] = k(1);
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
  const hsv = new Float32Array(3);
  const rgb = new Float32Array(3);
  const mean = new Float64Array(3);
  for (let t = 0; t < shape.numFrames; t++) {
    const base = t * pixelsPerFrame * 3;
    const end = base + pixelsPerFrame * 3;
    mean.fill(0);
    for (let p = base; p < end; p += 3) {
      rgbToHsv(frames[p] + delta, frames[p + 1] + delta, frames[p + 2] + delta, hsv);
      hsvToRgb(hsv[0], Math.min(1, Math.max(0, hsv[1] * sat)), hsv[2], rgb);
      frames[p] = rgb[0];
      frames[p + 1] = rgb[1];
      frames[p + 2] = rgb[2];
      mean[0] += rgb[0];
      mean[1] += rgb[1];
      mean[2] += rgb[2];
    }
    for (let c = 0; c < 3; c++) mean[c] /= pixelsPerFrame;
    for (let p = base; p < end; p += 3) {
      rgbToHsv(
        (frames[p] - mean[0]) * con + mean[0],
        (frames[p + 1] - mean[1]) * con + mean[1],
        (frames[p + 2] - mean[2]) * con + mean[2],
        hsv,
      );
      hsvToRgb(hsv[0] + shift, hsv[1], hsv[2], rgb);
      frames[p] = Math.min(1, Math.max(0, rgb[0]));
      frames[p + 1] = Math.min(1, Math.max(0, rgb[1]));
      frames[p + 2] = Math.min(1, Math.max(0, rgb[2]));
    }
  }
  return frames;
}

/**
 * Random colour jitter (spec 7), one draw for the whole clip, applied with probability `prob`:
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
