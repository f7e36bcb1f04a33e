import * as tf from '@tensorflow/tfjs-core';
import { checkArrayShape, checkPositiveInteger, patchifyArray, patchifyTensor, shapeText, type NumericArray, type ShapedArray } from '../shapes.js';
import { normalizeFrames, type InputRange } from './normalize-frames.js';

/** Options of {@link VideoTokenizer}. */
export interface VideoTokenizerOptions {
  /** Voxel size `[t, h, w]`; default `[4, 16, 16]` (docs/numerics.md §1.1). */
  patchSize?: readonly [number, number, number];
  /** Range of the incoming pixels; default `'uint8'` (0..255). */
  inputRange?: InputRange;
}

/** Token grid `[T/t, H/h, W/w]`: the number of voxel patches along time, height and width. */
export type VideoGrid = [number, number, number];

/** Output of {@link VideoTokenizer.tokenize}: patches `[B, N, t*h*w*3]` and their grid (N = product of grid). */
export interface VideoTokens<P> {
  patches: P;
  grid: VideoGrid;
}

const OWNER = 'VideoTokenizer';
const AXES = ['frame count (T)', 'height (H)', 'width (W)'] as const;
const PATCH_AXES = ['t', 'h', 'w'] as const;

/**
 * Video frames -> VATT voxel patches (docs/numerics.md §1.1). Frames `[T, H, W, 3]` or `[B, T, H, W, 3]` are mapped
 * to [-1, 1] ({@link normalizeFrames}) and cut into non-overlapping `t x h x w` voxels, each flattened in
 * `(t, h, w, c)` order, tokens ordered time outermost, then height, then width — so `patches @ W + b` with
 * `W = voxel_to_patch/kernel` reshaped to `[t*h*w*3, d]` equals the official `Conv3D` (kernel = stride, valid).
 *
 * A tensor input runs in tfjs ops (reshape/transpose) and returns a float32 tensor; a typed array with its
 * shape runs in plain JavaScript (e.g. in a data worker) and returns a Float32Array with its shape.
 *
 * @example
 * const tokenizer = new VideoTokenizer(); // 4x16x16, uint8 input
 * const frames = new Uint8Array(8 * 32 * 48 * 3);
 * const { patches, grid } = tokenizer.tokenize(frames, [8, 32, 48, 3]);
 * // grid = [2, 2, 3], patches.shape = [1, 12, 3072]
 */
export class VideoTokenizer {
  /** Voxel size `[t, h, w]`. */
  readonly patchSize: readonly [number, number, number];
  /** Range of the incoming pixel values. */
  readonly inputRange: InputRange;
  /** Values per patch, `t*h*w*3`. */
  readonly patchDim: number;

  constructor(options: VideoTokenizerOptions = {}) {
    const patchSize = options.patchSize ?? [4, 16, 16];
    if (!Array.isArray(patchSize) || patchSize.length !== 3) {
      throw new Error(`${OWNER}: patchSize must be [t, h, w]; got ${String(patchSize)}`);
    }
    patchSize.forEach((p, i) => checkPositiveInteger(OWNER, `patchSize ${PATCH_AXES[i]}`, p));
    this.patchSize = [patchSize[0], patchSize[1], patchSize[2]];
    this.inputRange = options.inputRange ?? 'uint8';
    if (this.inputRange !== 'uint8' && this.inputRange !== 'unit') {
      throw new Error(`${OWNER}: inputRange must be 'uint8' or 'unit'; got ${String(this.inputRange)}`);
    }
    this.patchDim = this.patchSize[0] * this.patchSize[1] * this.patchSize[2] * 3;
  }

  /**
   * The token grid for frames of this shape (`[T, H, W, 3]` or `[B, T, H, W, 3]`); throws, naming the
   * dimension, when the shape cannot be tokenized.
   */
  gridFor(shape: readonly number[]): VideoGrid {
    return this.checkFrames(shape).grid;
  }

  /** Tokenizes a tensor of frames; returns a float32 tensor `[B, N, t*h*w*3]` (no tensor leaks). */
  tokenize(frames: tf.Tensor): VideoTokens<tf.Tensor3D>;
  /** Tokenizes frames held in a typed array of the given shape; returns a Float32Array `[B, N, t*h*w*3]`. */
  tokenize(frames: NumericArray, shape: readonly number[]): VideoTokens<ShapedArray<Float32Array>>;
  tokenize(frames: tf.Tensor | NumericArray, shape?: readonly number[]): VideoTokens<tf.Tensor3D> | VideoTokens<ShapedArray<Float32Array>> {
    if (frames instanceof tf.Tensor) {
      const { batchShape, grid } = this.checkFrames(frames.shape);
      const patches = tf.tidy(() => patchifyTensor(tf.reshape(normalizeFrames(frames, this.inputRange), batchShape), this.patchSize));
      return { patches, grid };
    }
    if (shape === undefined) {
      throw new Error(`${OWNER}: frames given as an array need their shape, e.g. tokenize(data, [T, H, W, 3])`);
    }
    checkArrayShape(OWNER, 'frames', frames, shape);
    const { batchShape, grid } = this.checkFrames(shape);
    const patches = patchifyArray(normalizeFrames(frames, this.inputRange), batchShape, this.patchSize);
    return { patches, grid };
  }

  /** Validates a frames shape; returns it with a batch axis and the grid. */
  private checkFrames(shape: readonly number[]): { batchShape: number[]; grid: VideoGrid } {
    if (shape.length !== 4 && shape.length !== 5) {
      throw new Error(`${OWNER}: frames must have shape [T, H, W, 3] or [B, T, H, W, 3]; got rank ${shape.length} ${shapeText(shape)}`);
    }
    const batchShape = shape.length === 4 ? [1, ...shape] : [...shape];
    const channels = batchShape[4];
    if (channels !== 3) {
      throw new Error(`${OWNER}: frames must have 3 (RGB) channels in the last axis; got ${channels} in ${shapeText(shape)}`);
    }
    if (batchShape[0] < 1) throw new Error(`${OWNER}: frames batch size must be >= 1; got ${shapeText(shape)}`);
    const grid = [0, 0, 0] as VideoGrid;
    for (let i = 0; i < 3; i++) {
      const size = batchShape[1 + i];
      const p = this.patchSize[i];
      if (size < p || size % p !== 0) {
        throw new Error(
          `${OWNER}: frames ${AXES[i]} ${size} is not a multiple of the patch size ${PATCH_AXES[i]}=${p} ` +
            `(frames shape ${shapeText(shape)}, patchSize ${shapeText(this.patchSize)}); crop or pad it to a multiple of ${p}`,
        );
      }
      grid[i] = size / p;
    }
    return { batchShape, grid };
  }
}
