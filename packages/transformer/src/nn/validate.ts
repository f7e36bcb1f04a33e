import type * as tf from '@tensorflow/tfjs-core';

/** Formats a shape for error messages: `[2,7,32]`. */
export function fmtShape(shape: readonly (number | string)[]): string {
  return `[${shape.join(',')}]`;
}

/**
 * Throws unless `x` has one of the given ranks. `where` is the module path, `what` the input's
 * name and `expected` the expected shape in words (`[B, N, 32]`).
 */
export function expectRank(x: tf.Tensor, ranks: number | readonly number[], where: string, what: string, expected: string): void {
  const ok = typeof ranks === 'number' ? x.rank === ranks : ranks.includes(x.rank);
  if (!ok) throw new Error(`${where}: ${what} must have shape ${expected}, got ${fmtShape(x.shape)} (rank ${x.rank})`);
}

/** Throws unless the last dimension of `x` is `dim`. */
export function expectLastDim(x: tf.Tensor, dim: number, where: string, what: string, expected: string): void {
  if (x.rank === 0 || x.shape[x.rank - 1] !== dim) {
    throw new Error(`${where}: ${what} must have shape ${expected} (last dimension ${dim}), got ${fmtShape(x.shape)}`);
  }
}

/** Throws unless `value` is a positive integer. */
export function expectPositiveInt(value: number, where: string, what: string): void {
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${where}: ${what} must be a positive integer, got ${value}`);
}

/** Throws unless `rate` lies in [0, 1). */
export function expectRate(rate: number, where: string, what: string): void {
  if (!(rate >= 0 && rate < 1)) throw new Error(`${where}: ${what} must be in [0, 1), got ${rate}`);
}
