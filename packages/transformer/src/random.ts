/**
 * One seeded random stream for everything stochastic in the model (initialisers, dropout,
 * DropToken). Its state is a single uint32, so a checkpoint can save it and a resumed run draws
 * exactly the numbers the uninterrupted run would have drawn.
 */
let state = 0x9e3779b9;

/** Reseeds the stream. Same seed, same model init and same dropout masks. */
export function setSeed(seed: number): void {
  if (!Number.isFinite(seed)) throw new Error(`setSeed: seed must be a finite number, got ${seed}`);
  state = (Math.floor(seed) ^ 0x9e3779b9) >>> 0;
}

/** The current state, for checkpoints. */
export function getRandomState(): number {
  return state;
}

/** Restores a state saved by `getRandomState`. */
export function setRandomState(s: number): void {
  state = s >>> 0;
}

/** Next 32-bit value of the stream (mulberry32). */
export function nextUint32(): number {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return (t ^ (t >>> 14)) >>> 0;
}

/** A seed for a tfjs random op (tfjs takes any number; we keep it an integer below 2^31). */
export function nextSeed(): number {
  return nextUint32() & 0x7fffffff;
}

/** Uniform float in [0, 1). */
export function nextFloat(): number {
  return nextUint32() / 4294967296;
}

/** A uniformly random permutation of 0..n-1 (Fisher-Yates on the seeded stream). */
export function permutation(n: number): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(nextFloat() * (i + 1));
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}
