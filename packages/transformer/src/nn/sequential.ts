import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module.js';

/** A step of a `Sequential`: a child module with `apply`, or a parameter-free `relu`. */
export type SequentialStep = (Module & { apply(x: tf.Tensor): tf.Tensor }) | 'relu';

/**
 * Modules applied in order, under one name (the official code's `tf.keras.Sequential` blocks, e.g. the
 * FAC head's `hid_to_va`); children keep their own names below it.
 *
 * @example
 * const block = new Sequential('va_to_vat', ['relu', new Dense('dense', 512, 256, { useBias: false }), new BatchNorm('bn', 256)]);
 * const y = block.apply(x); // [B, 256]
 */
export class Sequential extends Module {
  constructor(
    name: string,
    private readonly steps: SequentialStep[],
  ) {
    super(name);
    for (const s of steps) if (s !== 'relu') this.child(s);
  }

  apply(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.steps.reduce<tf.Tensor>((h, s) => (s === 'relu' ? tf.relu(h) : s.apply(h)), x));
  }
}
