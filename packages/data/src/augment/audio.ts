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
  for (let i = 0; i < samples.length; i++) {
    const a = samples[i] < 0 ? -samples[i] : samples[i];
    if (a > peak) peak = a;
  }
  const std = relativeStd * peak;
  if (std === 0) return samples;
  // Normals from the Rng's uniforms by Marsaglia's polar method (Box-Muller without cos/sin; a pair per accepted
  // point of the unit disc, pi/4 of draws): the logarithm and trigonometry of Rng.normal per sample made
  // noise a third of the loader's work per small clip. Same distribution, same stream for a seed.
  const n = samples.length;
  for (let i = 0; i < n;) {
    const u = 2 * rng.next() - 1;
    const v = 2 * rng.next() - 1;
    const r2 = u * u + v * v;
    if (r2 >= 1 || r2 === 0) continue;
    const scale = std * Math.sqrt((-2 * Math.log(r2)) / r2);
    samples[i++] += u * scale;
    if (i < n) samples[i++] += v * scale;
  }
  return samples;
}
