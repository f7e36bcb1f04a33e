import * as tf from '@tensorflow/tfjs-core';
import { nextSeed } from './random.js';

/** Creates the initial value of a weight. Keras semantics (the official VATT code uses Keras defaults). */
export type Initializer = (shape: number[]) => tf.Tensor;

function fans(shape: number[]): [number, number] {
  if (shape.length === 0) return [1, 1];
  if (shape.length === 1) return [shape[0], shape[0]];
  if (shape.length === 2) return [shape[0], shape[1]];
  // Conv kernels [...spatial, in, out] (Keras channels-last).
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return [shape[shape.length - 2] * receptive, shape[shape.length - 1] * receptive];
}

export const zeros: Initializer = (shape) => tf.zeros(shape);
export const ones: Initializer = (shape) => tf.ones(shape);

/** Keras glorot_uniform: U(-l, l), l = sqrt(6 / (fanIn + fanOut)). Default for Dense kernels. */
export const glorotUniform: Initializer = (shape) => {
  const [fi, fo] = fans(shape);
  const limit = Math.sqrt(6 / (fi + fo));
  return tf.randomUniform(shape, -limit, limit, 'float32', nextSeed());
};

/** Keras glorot_normal: truncated normal with stddev sqrt(2 / (fanIn + fanOut)) / 0.8796. */
export const glorotNormal: Initializer = (shape) => {
  const [fi, fo] = fans(shape);
  const std = Math.sqrt(2 / (fi + fo)) / 0.87962566103423978;
  return tf.truncatedNormal(shape, 0, std, 'float32', nextSeed());
};

/** Truncated normal (±2 std) with the given stddev. VATT positional tables use stddev d^-0.5. */
export function truncatedNormal(stddev: number): Initializer {
  return (shape) => tf.truncatedNormal(shape, 0, stddev, 'float32', nextSeed());
}

/** Plain normal with the given stddev. */
export function normal(stddev: number): Initializer {
  return (shape) => tf.randomNormal(shape, 0, stddev, 'float32', nextSeed());
}

/** Constant fill. */
export function constant(value: number): Initializer {
  return (shape) => tf.fill(shape, value);
}

/** Uniform in [minval, maxval). Keras `Embedding` default is `uniform(-0.05, 0.05)`. */
export function uniform(minval: number, maxval: number): Initializer {
  return (shape) => tf.randomUniform(shape, minval, maxval, 'float32', nextSeed());
}
