import * as tf from '@tensorflow/tfjs-core';
import { checkArrayShape, checkPositiveInteger, patchifyArray, patchifyTensor, shapeText, type NumericArray, type ShapedArray } from '../shapes.js';

/** Options of {@link WaveformTokenizer}. */
export interface WaveformTokenizerOptions {
  /** Samples per patch; default 128 (docs/numerics.md §1.2). */
  patchSize?: number;
  /**
   * Fixed clip length in samples: longer waveforms are cropped (the first `numSamples` are kept), shorter ones
   * padded with zeros at the end. Must be a multiple of `patchSize`; VATT pre-training uses 153,600
   * (3.2 s at 48 kHz). Unset: the waveform length must already be a multiple of `patchSize`.
   */
  numSamples?: number;
}

/** Output of {@link WaveformTokenizer.tokenize}: patches `[B, N, patchSize]` and the token count N. */
export interface WaveformTokens<P> {
  patches: P;
  grid: [number];
}

const OWNER = 'WaveformTokenizer';

/**
 * Raw waveform -> VATT audio patches (docs/numerics.md §1.2, "WaT"): a waveform `[S]`, `[B, S]` or `[B, S, 1]` is cut
 * into non-overlapping segments of `patchSize` samples, `[B, S/patchSize, patchSize]`, which is what the
 * official `Conv1D(kernel = stride = 128)` (`waveform_to_patch`) multiplies by its kernel. Samples are used as
 * they are (VATT feeds float waveforms in [-1, 1]).
 *
 * A tensor input returns a float32 tensor; a typed array with its shape returns a Float32Array with its shape.
 *
 * @example
 * const tokenizer = new WaveformTokenizer({ numSamples: 153_600 }); // 3.2 s at 48 kHz
 * const { patches, grid } = tokenizer.tokenize(new Float32Array(150_000), [150_000]);
 * // zero-padded to 153,600 samples: grid = [1200], patches.shape = [1, 1200, 128]
 */
export class WaveformTokenizer {
  /** Samples per patch. */
  readonly patchSize: number;
  /** Fixed clip length (pad or crop), or undefined to require a multiple of `patchSize`. */
  readonly numSamples: number | undefined;

  constructor(options: WaveformTokenizerOptions = {}) {
    this.patchSize = options.patchSize ?? 128;
    checkPositiveInteger(OWNER, 'patchSize', this.patchSize);
    this.numSamples = options.numSamples;
    if (this.numSamples !== undefined) {
      checkPositiveInteger(OWNER, 'numSamples', this.numSamples);
      if (this.numSamples % this.patchSize !== 0) {
        throw new Error(`${OWNER}: numSamples ${this.numSamples} must be a multiple of patchSize ${this.patchSize}`);
      }
    }
  }

  /** Tokenizes a waveform tensor; returns a float32 tensor `[B, N, patchSize]` (no tensor leaks). */
  tokenize(waveform: tf.Tensor): WaveformTokens<tf.Tensor3D>;
  /** Tokenizes a waveform held in an array of the given shape (default `[length]`); returns a Float32Array. */
  tokenize(waveform: NumericArray, shape?: readonly number[]): WaveformTokens<ShapedArray<Float32Array>>;
  tokenize(waveform: tf.Tensor | NumericArray, shape?: readonly number[]): WaveformTokens<tf.Tensor3D> | WaveformTokens<ShapedArray<Float32Array>> {
    if (waveform instanceof tf.Tensor) {
      const [batch, length] = this.checkWaveform(waveform.shape);
      const target = this.targetLength(length);
      const patches = tf.tidy(() => {
        let x = tf.cast(tf.reshape(waveform, [batch, length]), 'float32');
        if (target < length) x = tf.slice(x, [0, 0], [batch, target]);
        if (target > length)
          x = tf.pad(x, [
            [0, 0],
            [0, target - length],
          ]);
        return patchifyTensor(tf.reshape(x, [batch, target, 1]), [this.patchSize]);
      });
      return { patches, grid: [target / this.patchSize] };
    }
    const arrayShape = shape ?? [waveform.length];
    checkArrayShape(OWNER, 'waveform', waveform, arrayShape);
    const [batch, length] = this.checkWaveform(arrayShape);
    const target = this.targetLength(length);
    const fitted = new Float32Array(batch * target); // zeros beyond `length` = the padding
    const copied = Math.min(length, target);
    for (let b = 0; b < batch; b++) {
      for (let i = 0; i < copied; i++) fitted[b * target + i] = waveform[b * length + i];
    }
    const patches = patchifyArray(fitted, [batch, target, 1], [this.patchSize]);
    return { patches, grid: [target / this.patchSize] };
  }

  /** Validates a waveform shape; returns `[B, S]`. */
  private checkWaveform(shape: readonly number[]): [number, number] {
    const ok = shape.length === 1 || shape.length === 2 || (shape.length === 3 && shape[2] === 1);
    if (!ok) {
      throw new Error(`${OWNER}: waveform must have shape [S], [B, S] or [B, S, 1]; got ${shapeText(shape)}`);
    }
    const [batch, length] = shape.length === 1 ? [1, shape[0]] : [shape[0], shape[1]];
    if (batch < 1 || length < 1) {
      throw new Error(`${OWNER}: waveform must hold at least one sample per example; got ${shapeText(shape)}`);
    }
    return [batch, length];
  }

  /** The clip length after pad/crop; throws when no `numSamples` is set and S is not a multiple of the patch. */
  private targetLength(length: number): number {
    if (this.numSamples !== undefined) return this.numSamples;
    if (length % this.patchSize !== 0) {
      throw new Error(
        `${OWNER}: waveform length S=${length} is not a multiple of the patch size ${this.patchSize}; ` +
          `set numSamples to pad or crop it (e.g. ${Math.ceil(length / this.patchSize) * this.patchSize})`,
      );
    }
    return length;
  }
}
