import * as tf from '@tensorflow/tfjs-core';
import type { NumericArray } from '../shapes.js';

/**
 * What the incoming pixel values mean: `'uint8'` = 0..255 (decoded frames), `'unit'` = floats in [0, 1]
 * (e.g. a canvas already divided by 255).
 */
export type InputRange = 'uint8' | 'unit';

/** Scale and offset that map the input range onto [-1, 1]: uint8 `x*2/255 - 1`, unit `x*2 - 1`. */
function affineFor(inputRange: InputRange): [scale: number, offset: number] {
  if (inputRange === 'uint8') return [2 / 255, -1];
  if (inputRange === 'unit') return [2, -1];
  throw new Error(`normalizeFrames: inputRange must be 'uint8' or 'unit'; got ${String(inputRange)}`);
}

/**
 * Maps pixel values to [-1, 1] as VATT expects (docs/numerics.md §1.1: DMVR `normalize_image` with
 * `zero_centering_image=True`, i.e. `x*2/255 - 1` for uint8 frames). A tensor comes back as a float32
 * tensor of the same shape; an array comes back as a new Float32Array. Values are not clipped.
 *
 * @example
 * normalizeFrames(new Uint8Array([0, 51, 255]), 'uint8'); // Float32Array [-1, -0.6, 1]
 */
export function normalizeFrames(frames: tf.Tensor, inputRange?: InputRange): tf.Tensor;
export function normalizeFrames(frames: NumericArray, inputRange?: InputRange): Float32Array;
export function normalizeFrames(frames: tf.Tensor | NumericArray, inputRange: InputRange = 'uint8'): tf.Tensor | Float32Array {
  const [scale, offset] = affineFor(inputRange);
  if (frames instanceof tf.Tensor) {
    return tf.tidy(() => tf.add(tf.mul(tf.cast(frames, 'float32'), scale), offset));
  }
  const out = new Float32Array(frames.length);
  for (let i = 0; i < frames.length; i++) out[i] = frames[i] * scale + offset;
  return out;
}
