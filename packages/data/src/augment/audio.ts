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
  // Math.abs, not a comparison with 0: the sign of a waveform is a coin toss, a branch on it mispredicts half the time.
  for (let i = 0; i < samples.length; i++) peak = Math.max(peak, Math.abs(samples[i]));
  const std = relativeStd * peak;
  if (std === 0) return samples;
  // The Rng's ziggurat: one stream word per sample (Marsaglia's polar method, before it, spent a logarithm and a
  // square root per pair and made noise 11 % of the loader's work per tiny clip).
  rng.addNormal(samples, std);
  return samples;
}
