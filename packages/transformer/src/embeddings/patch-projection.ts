import * as tf from '@tensorflow/tfjs-core';
import { Dense } from '../nn/dense.js';
import { expectRank, fmtShape } from '../nn/validate.js';

/**
 * The linear patch embedding of VATT's tokenizers (docs/numerics.md §1.1, §1.2): the official
 * Conv3D / Conv1D / Conv2D with kernel == stride and valid padding is exactly a matMul of each
 * flattened patch with a `[patchValues, d]` kernel plus bias. Weights `kernel` `[patchValues, d]`
 * (stored 2-D; see `fromConv3dKernel` for the official `[t, h, w, 3, d]` layout) and `bias` `[d]`.
 * Official names: `voxel_to_patch` (video, 4*16*16*3 = 3072 values), `wave_to_patch` (audio, 128),
 * `spectrum_to_patch` (spectrogram, 16*5).
 *
 * @example
 * const proj = new PatchProjection('voxel_to_patch', 3072, 768);
 * const tokens = proj.apply(patches); // patches [B, 1568, 3072] in (t, h, w, c) order -> [B, 1568, 768]
 */
export class PatchProjection extends Dense {
  constructor(name: string, patchValues: number, dim: number, opts: { useBias?: boolean } = {}) {
    super(name, patchValues, dim, { useBias: opts.useBias ?? true });
  }

  /** `patches` `[B, N, patchValues]` -> `[B, N, d]`. */
  override apply(patches: tf.Tensor): tf.Tensor3D {
    const expected = fmtShape(['B', 'N', this.inDim]);
    expectRank(patches, 3, this.path, 'patches', expected);
    if (patches.shape[2] !== this.inDim) {
      throw new Error(`${this.path}: patches must have shape ${expected} (${this.inDim} values per patch), got ${fmtShape(patches.shape)}`);
    }
    return super.apply(patches) as tf.Tensor3D;
  }
}

function expectKernel(kernel: tf.Tensor, rank: number, what: string): void {
  if (kernel.rank !== rank) throw new Error(`${what}: kernel must have rank ${rank}, got shape ${fmtShape(kernel.shape)}`);
}

/**
 * The official Keras Conv3D kernel `[t, h, w, c, d]` as our 2-D `[t*h*w*c, d]` patch kernel (a pure
 * reshape, because the tokenizer flattens patches in (t, h, w, c) order).
 *
 * @example
 * proj.loadWeights({ kernel: fromConv3dKernel(ckpt['voxel_to_patch/kernel']), bias });
 */
export function fromConv3dKernel(kernel: tf.Tensor): tf.Tensor2D {
  expectKernel(kernel, 5, 'fromConv3dKernel');
  const d = kernel.shape[4] as number;
  return tf.reshape(kernel, [kernel.size / d, d]);
}

/**
 * Our 2-D patch kernel `[t*h*w*c, d]` back to the Keras Conv3D layout `[t, h, w, c, d]`.
 *
 * @example
 * const k5 = toConv3dKernel(proj.kernel, [4, 16, 16]); // [4, 16, 16, 3, d]
 */
export function toConv3dKernel(kernel: tf.Tensor, patchSize: readonly [number, number, number], channels = 3): tf.Tensor {
  expectKernel(kernel, 2, 'toConv3dKernel');
  const [t, h, w] = patchSize;
  if (kernel.shape[0] !== t * h * w * channels) {
    throw new Error(
      `toConv3dKernel: kernel must have ${t}*${h}*${w}*${channels} = ${t * h * w * channels} rows for patch [${patchSize}], got shape ` +
        `${fmtShape(kernel.shape)}`,
    );
  }
  return tf.reshape(kernel, [t, h, w, channels, kernel.shape[1] as number]);
}

/**
 * The official Conv1D `[128, 1, d]` / Conv2D `[t, f, 1, d]` kernel as a 2-D `[values, d]` patch kernel.
 *
 * @example
 * audio.loadWeights({ 'wave_to_patch/kernel': fromConvKernel(ckptKernel), ... });
 */
export function fromConvKernel(kernel: tf.Tensor): tf.Tensor2D {
  if (kernel.rank < 2) throw new Error(`fromConvKernel: kernel must have rank >= 2, got shape ${fmtShape(kernel.shape)}`);
  const d = kernel.shape[kernel.rank - 1] as number;
  return tf.reshape(kernel, [kernel.size / d, d]);
}
