import type { Rng } from '@vatt/tokenizers/random';

/**
 * Adds Gaussian noise with std = `relativeStd` x max|x| of the clip, in place (docs/numerics.md §1.2:
 * `audio_noise = 0.01`, `processing.add_gaussian`).
 *
 * @example
 * addGaussianNoise(wave, new Rng(0)); // std 0.01 * max|wave|
 */
export function addGaussianNoise(samples: Float32Array, rng: Rng, relativeStd = 0.01): Float32Array {
  let peak = 0;
  for (let i = 0; i < samples.length; i++) peak = Math.max(peak, Math.abs(samples[i]));
  const std = relativeStd * peak;
  if (std === 0) return samples;
  for (let i = 0; i < samples.length; i++) samples[i] += std * rng.normal();
  return samples;
}
