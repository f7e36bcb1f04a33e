/**
 * Evaluation views and image inputs (docs/numerics.md §1.1, §8.1, §8.3):
 * `tileImage` makes an image a single-frame video (repeated along time to the temporal patch size),
 * `multiViewClips` cuts N uniformly spaced clips x 3 spatial crops out of a longer video, and
 * `audioWindows` N uniformly spaced waveform windows.
 */
import { threeCrops } from '@vatt/data';

/**
 * An RGB image uint8 [H, W, 3] repeated `frames` times along time -> [frames, H, W, 3] (ImageNet
 * fine-tuning; `frames` = the temporal patch size so one voxel patch covers the image).
 *
 * @example
 * const clip = tileImage(rgb, 32, 32, 4); // a 4-frame "video"
 */
export function tileImage(image: Uint8Array, height: number, width: number, frames: number): Uint8Array {
  const per = height * width * 3;
  if (image.length !== per) throw new Error(`tileImage: image has ${image.length} values, expected ${height}x${width}x3 = ${per}`);
  if (!(Number.isInteger(frames) && frames >= 1)) throw new Error(`tileImage: frames must be a positive integer, got ${frames}`);
  const out = new Uint8Array(per * frames);
  for (let t = 0; t < frames; t++) out.set(image, t * per);
  return out;
}

/** Start indices of `n` windows of `length` spread uniformly (linspace) over `total` (docs/numerics.md §8.1/8.4). */
export function uniformStarts(total: number, length: number, n: number): number[] {
  if (!(Number.isInteger(n) && n >= 1)) throw new Error(`uniformStarts: n must be a positive integer, got ${n}`);
  const slack = Math.max(0, total - length);
  return Array.from({ length: n }, (_, i) => Math.round(n === 1 ? slack / 2 : (slack * i) / (n - 1)));
}

/**
 * `numClips` uniformly spaced clips of `clipFrames` frames x 3 crops of `size` x `size` (start / centre /
 * end of the longer side) from a uint8 video [T, H, W, 3]: `numClips * 3` clips [clipFrames, size, size, 3]
 * in clip-major order. Videos shorter than a clip repeat their last frame.
 */
export function multiViewClips(
  video: Uint8Array,
  shape: readonly [number, number, number],
  clipFrames: number,
  size: number,
  numClips = 4,
  numCrops: 1 | 3 = 3,
): Uint8Array[] {
  const [t, h, w] = shape;
  if (video.length !== t * h * w * 3) throw new Error(`multiViewClips: video has ${video.length} values, expected ${t}x${h}x${w}x3`);
  const crops = numCrops === 3 ? threeCrops(h, w, size) : [threeCrops(h, w, size)[1]];
  const out: Uint8Array[] = [];
  for (const start of uniformStarts(t, clipFrames, numClips)) {
    for (const c of crops) {
      const clip = new Uint8Array(clipFrames * size * size * 3);
      for (let f = 0; f < clipFrames; f++) {
        const src = Math.min(t - 1, start + f);
        for (let y = 0; y < size; y++) {
          const from = ((src * h + c.top + y) * w + c.left) * 3;
          clip.set(video.subarray(from, from + size * 3), (f * size + y) * size * 3);
        }
      }
      out.push(clip);
    }
  }
  return out;
}

/** `numClips` uniformly spaced windows of `samples` from a waveform (zero-padded when it is shorter). */
export function audioWindows(wave: Float32Array, samples: number, numClips = 4): Float32Array[] {
  return uniformStarts(wave.length, samples, numClips).map((s) => {
    const out = new Float32Array(samples);
    out.set(wave.subarray(s, Math.min(wave.length, s + samples)));
    return out;
  });
}
