/** Data order as a pure function of (seed, epoch): a fresh seeded permutation of the clips each epoch. */
import { hashSeed, Rng } from '@vatt/tokenizers';

/** The permutation of epoch `epoch` for a run seeded with `seed`. */
export function epochOrder(n: number, seed: number, epoch: number): Int32Array {
  return new Rng(hashSeed(seed, epoch)).permutation(n);
}

/** Indices of the clips in batch `step` (whole batches only; the last partial batch of an epoch is dropped). */
export function batchIndices(numClips: number, batchSize: number, seed: number, step: number): { indices: number[]; epoch: number } {
  if (batchSize > numClips) throw new Error(`batch size ${batchSize} exceeds the ${numClips} training clips`);
  const perEpoch = Math.floor(numClips / batchSize);
  const epoch = Math.floor(step / perEpoch);
  const offset = (step % perEpoch) * batchSize;
  return { indices: Array.from(epochOrder(numClips, seed, epoch).subarray(offset, offset + batchSize)), epoch };
}
