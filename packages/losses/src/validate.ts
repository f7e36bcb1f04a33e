import * as tf from '@tensorflow/tfjs-core';

/** A per-clip validity mask: 1 = take part in the loss, 0 = excluded (docs/numerics.md §6.2 step 6). */
export type SampleMask = tf.Tensor1D | ArrayLike<number>;

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * Throws unless `tensor` is a float32 matrix with the expected row and column counts.
 * `expected` describes the shape in the caller's words, e.g. `[B, D] = [6, 16] (B and D from video)`.
 */
export function checkMatrix(fn: string, name: string, tensor: tf.Tensor, rows: number | undefined, cols: number | undefined, expected: string): void {
  if (!(tensor instanceof tf.Tensor)) {
    throw new Error(`${fn}: ${name} must be a tf.Tensor of shape ${expected}; got ${typeof tensor}`);
  }
  const shape = tensor.shape;
  if (shape.length !== 2 || (rows !== undefined && shape[0] !== rows) || (cols !== undefined && shape[1] !== cols)) {
    throw new Error(`${fn}: ${name} must have shape ${expected}; got ${shapeText(shape)}`);
  }
  if (shape[0] === 0 || shape[1] === 0) {
    throw new Error(`${fn}: ${name} must have shape ${expected} with B >= 1 and D >= 1; got ${shapeText(shape)}`);
  }
  if (tensor.dtype !== 'float32') {
    throw new Error(`${fn}: ${name} must be float32; got ${tensor.dtype}`);
  }
}

/** Throws unless `value` is a finite number > 0. */
export function checkPositive(fn: string, name: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new Error(`${fn}: ${name} must be a finite number > 0; got ${String(value)}`);
  }
}

/** Throws unless `value` is an integer >= 1. */
export function checkPositiveInteger(fn: string, name: string, value: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new Error(`${fn}: ${name} must be an integer >= 1; got ${String(value)}`);
  }
}

/** Throws unless `mask` holds one entry per clip (`[B]`). */
export function checkMask(fn: string, name: string, mask: SampleMask, batchSize: number): void {
  const shape = mask instanceof tf.Tensor ? mask.shape : [mask.length];
  if (shape.length !== 1 || shape[0] !== batchSize) {
    throw new Error(`${fn}: ${name} must have shape [B] = [${batchSize}] (one 0/1 entry per clip); got ${shapeText(shape)}`);
  }
}

/** The mask as a float32 `[B]` tensor (a new tensor; the caller's mask is left alone). */
export function maskTensor(mask: SampleMask): tf.Tensor1D {
  return mask instanceof tf.Tensor ? tf.cast(mask, 'float32') : tf.tensor1d(Array.from(mask), 'float32');
}
