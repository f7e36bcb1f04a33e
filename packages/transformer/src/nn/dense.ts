import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module.js';
import { glorotUniform, zeros, type Initializer } from '../initializers.js';
import { activate, type Activation } from './activations.js';
import { matMul } from './matmul.js';
import { expectLastDim, expectPositiveInt, fmtShape } from './validate.js';

export interface DenseOptions {
  /** Adds the `bias` weight (default true; T5 layers use none). */
  useBias?: boolean;
  /** Kernel initialiser (default Keras glorot_uniform, docs/numerics.md §2.5). */
  kernelInit?: Initializer;
  /** Bias initialiser (default zeros). */
  biasInit?: Initializer;
  /** Activation after the affine map (default 'linear'). */
  activation?: Activation;
}

/**
 * A fully connected layer `y = act(x · kernel + bias)` with Keras' layout: `kernel` is `[in, out]`,
 * `bias` is `[out]`. Works on any `[..., in]` input (flattened to 2-D for one plain matMul; the
 * backward pass avoids transposed matMuls, see `matMul`).
 *
 * @example
 * const q = new Dense('q', 512, 512);
 * const y = q.apply(x); // x: [B, N, 512] -> y: [B, N, 512]
 */
export class Dense extends Module {
  readonly inDim: number;
  readonly outDim: number;
  readonly activation: Activation;
  readonly kernel: tf.Variable;
  readonly bias: tf.Variable | undefined;

  constructor(name: string, inDim: number, outDim: number, opts: DenseOptions = {}) {
    super(name);
    expectPositiveInt(inDim, name, 'inDim');
    expectPositiveInt(outDim, name, 'outDim');
    this.inDim = inDim;
    this.outDim = outDim;
    this.activation = opts.activation ?? 'linear';
    this.kernel = this.param('kernel', [inDim, outDim], opts.kernelInit ?? glorotUniform);
    this.bias = (opts.useBias ?? true) ? this.param('bias', [outDim], opts.biasInit ?? zeros) : undefined;
  }

  /** `x`: `[..., inDim]` -> `[..., outDim]`. */
  apply(x: tf.Tensor): tf.Tensor {
    expectLastDim(x, this.inDim, this.path, 'input', fmtShape(['...', this.inDim]));
    return tf.tidy(() => {
      const flat = x.rank === 2 ? x : tf.reshape(x, [-1, this.inDim]);
      let y = matMul(flat, this.kernel);
      if (this.bias) y = tf.add(y, this.bias);
      y = activate(y, this.activation);
      return x.rank === 2 ? y : tf.reshape(y, [...x.shape.slice(0, -1), this.outDim]);
    });
  }
}
