/**
 * Test-only helpers (not exported from the package): golden files written by
 * scripts/golden/transformer_core.py and gradient checks.
 */
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Module, NamedTensors } from '../module.js';

/** A tensor as written by the golden script. */
export interface GoldenTensor {
  shape: number[];
  data: number[];
}

/** Reads `packages/transformer/test/golden/<name>`. */
export function readGolden<T>(name: string): T {
  return JSON.parse(readFileSync(fileURLToPath(new URL(`../../test/golden/${name}`, import.meta.url)), 'utf8')) as T;
}

export function toTensor(t: GoldenTensor): tf.Tensor {
  return tf.tensor(t.data, t.shape, 'float32');
}

export function toNamedTensors(weights: Record<string, GoldenTensor>): NamedTensors {
  return Object.fromEntries(Object.entries(weights).map(([k, v]) => [k, toTensor(v)]));
}

export function disposeNamed(named: NamedTensors): void {
  for (const t of Object.values(named)) t.dispose();
}

/**
 * Gradients of `loss` with respect to every trainable weight of `module`; returns the names whose
 * gradient is missing or all zero (empty when every weight learns).
 */
export function weightsWithoutGradient(module: Module, loss: () => tf.Scalar): string[] {
  const named = module.namedTrainableParameters();
  const { value, grads } = tf.variableGrads(
    loss,
    named.map(([, v]) => v),
  );
  value.dispose();
  const missing: string[] = [];
  for (const [name, v] of named) {
    const g = grads[v.name];
    if (!g) missing.push(`${name} (no gradient)`);
    else if (tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0]) === 0) missing.push(`${name} (all zero)`);
  }
  for (const g of Object.values(grads)) g?.dispose();
  return missing;
}
