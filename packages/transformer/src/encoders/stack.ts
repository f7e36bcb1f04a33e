import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module.js';
import { expectLastDim, expectPositiveInt, expectRank, fmtShape } from '../nn/validate.js';
import type { AttentionInputs } from './attention.js';
import { TransformerEncoderLayer, type TransformerEncoderLayerOptions } from './block.js';
import { checkpoint } from './checkpoint.js';

/**
 * What the pre-LN and the T5 encoders share: `numLayers` blocks `layers/{i}`, input checks, and
 * activation checkpointing of each block in training (`setCheckpointing`).
 */
export abstract class EncoderStack extends Module {
  readonly dModel: number;
  readonly layers: TransformerEncoderLayer[];
  /** Whether training-mode passes checkpoint each layer (see `checkpoint`): ~1.3x the compute, a fraction of the memory. */
  checkpointLayers: boolean;

  protected constructor(name: string, opts: TransformerEncoderLayerOptions & { numLayers: number; checkpointLayers?: boolean }) {
    super(name);
    expectPositiveInt(opts.numLayers, name, 'numLayers');
    this.dModel = opts.dModel;
    this.layers = [];
    for (let i = 0; i < opts.numLayers; i++) this.layers.push(this.child(new TransformerEncoderLayer(`layers/${i}`, this.layerOptions(opts, i))));
    this.checkpointLayers = opts.checkpointLayers ?? false;
  }

  /** The options of layer `i` (T5: layer 0 owns the relative position bias). */
  protected layerOptions(opts: TransformerEncoderLayerOptions, _i: number): TransformerEncoderLayerOptions {
    return opts;
  }

  /** Turns activation checkpointing of the layers on or off. */
  setCheckpointing(on: boolean): this {
    this.checkpointLayers = on;
    return this;
  }

  /** Checks `x` is `[B, N, dModel]` and `mask` (if any) `[B, N]`. */
  protected checkInputs(x: tf.Tensor, mask?: tf.Tensor): void {
    const expected = fmtShape(['B', 'N', this.dModel]);
    expectRank(x, 3, this.path, 'input', expected);
    expectLastDim(x, this.dModel, this.path, 'input', expected);
    const [b, n] = x.shape;
    if (mask && (mask.rank !== 2 || mask.shape[0] !== b || mask.shape[1] !== n)) {
      throw new Error(`${this.path}: mask must have shape [${b},${n}] (1 = valid, 0 = padding), got ${fmtShape(mask.shape)}`);
    }
  }

  /**
   * Runs every layer. With checkpointing in training, a layer keeps only its input (and `bias`, which
   * gets its gradient through the checkpoint) for backprop; `external` are variables a layer owns but
   * does not use in `apply` (T5's bias table, used through `bias`).
   */
  protected runLayers(x: tf.Tensor, inputs: AttentionInputs, external: ReadonlySet<tf.Variable> = new Set()): tf.Tensor {
    let h = x;
    for (const layer of this.layers) {
      if (!(this.checkpointLayers && this.training)) {
        h = layer.apply(h, inputs);
        continue;
      }
      const params = layer.trainableVariables().filter((v) => !external.has(v));
      const { mask, bias } = inputs;
      const differentiable = bias ? [h, bias] : [h];
      h = checkpoint(([t, b], [m]) => layer.apply(t, { bias: b, mask: m }), differentiable, params, mask ? [mask] : []);
    }
    return h;
  }
}
