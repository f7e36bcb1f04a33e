/**
 * The model's global random stream: weight initialisation, dropout and DropToken all draw from this one
 * `Rng` (`@vatt/tokenizers`), so a seed fixes a run and a checkpoint that saves `getRandomState()`
 * resumes it exactly. `withRandomState` runs code from a given position of the stream (replaying the
 * dropout and DropToken draws of an earlier pass: activation checkpointing, the gradient cache, replicas).
 */
import { hashSeed, Rng } from '@vatt/tokenizers/random';

const stream = new Rng(0);

/** Reseeds the stream. Same seed, same model init and same dropout masks. */
export function setSeed(seed: number): void {
  if (!Number.isFinite(seed)) throw new Error(`setSeed: seed must be a finite number, got ${seed}`);
  stream.state = hashSeed(seed);
}

/** The current state, for checkpoints. */
export function getRandomState(): number {
  return stream.state;
}

/** Restores a state saved by `getRandomState`. */
export function setRandomState(s: number): void {
  stream.state = s >>> 0;
}

/**
 * Runs `fn` with the stream at `state`, then puts the stream back where it was: `fn` draws exactly what
 * it drew the last time it started from `state`, and the caller's stream does not move.
 *
 * @example
 * const s = random.nextUint32();
 * const a = random.withRandomState(s, () => model.apply(x)); // dropout masks from s
 * const b = random.withRandomState(s, () => model.apply(x)); // the same masks again
 */
export function withRandomState<T>(state: number, fn: () => T): T {
  const resume = stream.state;
  stream.state = state >>> 0;
  try {
    return fn();
  } finally {
    stream.state = resume;
  }
}

/** Next 32-bit value of the stream. */
export function nextUint32(): number {
  return stream.nextUint32();
}

/** A seed for a tfjs random op (tfjs takes any number; we keep it an integer below 2^31). */
export function nextSeed(): number {
  return stream.nextUint32() & 0x7fffffff;
}

/** Uniform float in [0, 1). */
export function nextFloat(): number {
  return stream.next();
}

/** A uniformly random permutation of 0..n-1 (Fisher-Yates on the stream). */
export function permutation(n: number): Int32Array {
  return stream.permutation(n);
}
