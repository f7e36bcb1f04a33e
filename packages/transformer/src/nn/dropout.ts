import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module.js';
import { nextSeed } from '../random.js';
import { expectRate } from './validate.js';

/**
 * Inverted dropout: in training, zeroes each element with probability `rate` and scales the rest by
 * `1 / (1 - rate)`; otherwise returns `x` unchanged. The mask seed comes from the shared seeded
 * stream (`random.nextSeed()`), so runs with the same `setSeed` draw the same masks.
 *
 * @example
 * const y = dropout(x, 0.1, model.training);
 */
export function dropout(x: tf.Tensor, rate: number, training: boolean): tf.Tensor {
  if (!training || rate === 0) return x;
  expectRate(rate, 'dropout', 'rate');
  return tf.dropout(x, rate, undefined, nextSeed());
}

/**
 * Dropout as a module: it follows the `train()` / `eval()` state of its parent. It owns no weights.
 *
 * @example
 * const drop = new Dropout(0.1);
 * drop.train(); const y = drop.apply(x);
 */
export class Dropout extends Module {
  readonly rate: number;

  constructor(rate: number, name = 'dropout') {
    super(name);
    expectRate(rate, name, 'rate');
    this.rate = rate;
  }

  apply(x: tf.Tensor): tf.Tensor {
    return dropout(x, this.rate, this.training);
  }
}
