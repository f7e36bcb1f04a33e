/**
 * Sound of one clip, in sync with its video: a band-limited oscillator whose
 * - timbre comes from the shape (sine / square / triangle / sawtooth harmonics),
 * - base pitch from the colour (COLOR_PITCH),
 * - pitch follows the object's height over time (rises as it moves up, falls as it moves down: one
 *   octave per frame height of displacement from where it started),
 * - loudness follows its horizontal position (louder as it moves right, quieter as it moves left: a
 *   factor 2^(2 * dx / width), like panning folded into one channel),
 * plus a faint hum and white noise. The waveform is mono float32 in [-1, 1] (vatt-spec.md section 1.2).
 */
import type { Rng } from '../augment/random.js';
import { COLOR_PITCH, SHAPE_WAVEFORM, type EmbeddedAttributes, type Waveform } from './attributes.js';
import { positionAt, type EmbeddedFormat, type EmbeddedNuisance } from './scene.js';

/** Octaves of pitch change per frame height of vertical travel. */
export const PITCH_GLIDE_OCTAVES = 1;
/** log2 of the loudness change per frame width of horizontal travel. */
export const LOUDNESS_GLIDE = 2;
const MAX_HARMONICS = 12;
/** (u1 + u2 - 1) for uniform u has standard deviation 1/sqrt(6). */
const TRIANGULAR_TO_UNIT_STD = Math.sqrt(6);

/** Amplitude of harmonic k (1-based) of each waveform, normalised below to unit RMS so loudness does not leak the shape. */
function harmonicAmplitudes(w: Waveform): Float64Array {
  const amps = new Float64Array(MAX_HARMONICS + 1);
  for (let k = 1; k <= MAX_HARMONICS; k++) {
    if (w === 'sine') amps[k] = k === 1 ? 1 : 0;
    else if (w === 'square') amps[k] = k % 2 === 1 ? 1 / k : 0;
    else if (w === 'sawtooth') amps[k] = 1 / k;
    else amps[k] = k % 2 === 1 ? ((k - 1) / 2) % 2 === 0 ? 1 / (k * k) : -1 / (k * k) : 0;
  }
  let power = 0;
  for (let k = 1; k <= MAX_HARMONICS; k++) power += amps[k] * amps[k];
  const scale = 1 / Math.sqrt(power);
  for (let k = 1; k <= MAX_HARMONICS; k++) amps[k] *= scale;
  return amps;
}

const AMPLITUDES: Record<Waveform, Float64Array> = {
  sine: harmonicAmplitudes('sine'),
  square: harmonicAmplitudes('square'),
  triangle: harmonicAmplitudes('triangle'),
  sawtooth: harmonicAmplitudes('sawtooth'),
};

/** Instantaneous fundamental frequency (Hz) at time tau (frames): colour pitch, detune, and the vertical glide. */
export function pitchAt(a: EmbeddedAttributes, n: EmbeddedNuisance, f: EmbeddedFormat, tau: number): number {
  const rise = (n.start[1] - positionAt(a, n, tau)[1]) / f.height;
  return COLOR_PITCH[a.color] * n.audio.detune * 2 ** (PITCH_GLIDE_OCTAVES * rise);
}

/** Oscillator amplitude at time tau (frames): gain times the horizontal loudness glide. */
export function loudnessAt(a: EmbeddedAttributes, n: EmbeddedNuisance, f: EmbeddedFormat, tau: number): number {
  const right = (positionAt(a, n, tau)[0] - n.start[0]) / f.width;
  return n.audio.gain * 2 ** (LOUDNESS_GLIDE * right);
}

/** Synthesises the waveform of a clip, numSamples float32. `rng` supplies only the white noise. */
export function synthesizeAudio(a: EmbeddedAttributes, n: EmbeddedNuisance, f: EmbeddedFormat, rng: Rng): Float32Array {
  const out = new Float32Array(f.numSamples);
  const amps = AMPLITUDES[SHAPE_WAVEFORM[a.shape]];
  const nyquist = f.sampleRate / 2;
  const ramp = Math.max(1, Math.round(0.008 * f.sampleRate)); // 8 ms fade in/out: no clicks at the clip edges
  const { phase: phase0, humHz, humLevel, noise } = n.audio;
  // pitchAt / loudnessAt change geometrically with time (linear motion, exponential glide), so the loop
  // updates them by a constant ratio per sample instead of re-evaluating them.
  const tauStep = f.fps / f.sampleRate;
  const pitchRatio = pitchAt(a, n, f, tauStep) / pitchAt(a, n, f, 0);
  const loudnessRatio = loudnessAt(a, n, f, tauStep) / loudnessAt(a, n, f, 0);
  let hz = pitchAt(a, n, f, 0);
  let loudness = loudnessAt(a, n, f, 0);
  let phase = phase0;
  const humStep = (2 * Math.PI * humHz) / f.sampleRate;
  for (let i = 0; i < f.numSamples; i++) {
    // Harmonics by the Chebyshev recurrence sin((k+1)p) = 2 cos(p) sin(kp) - sin((k-1)p); each fades out
    // between 0.8 and 0.9 of Nyquist, so the tone is band-limited (no aliasing) even while it glides.
    const c2 = 2 * Math.cos(phase);
    let prev = 0;
    let cur = Math.sin(phase);
    let tone = 0;
    for (let k = 1; k <= MAX_HARMONICS; k++) {
      const fade = Math.min(1, (0.9 * nyquist - k * hz) / (0.1 * nyquist));
      if (fade <= 0) break;
      tone += amps[k] * fade * cur;
      const next = c2 * cur - prev;
      prev = cur;
      cur = next;
    }
    const edge = Math.min(1, (i + 1) / ramp, (f.numSamples - i) / ramp);
    const hum = humLevel * Math.sin(humStep * i + phase0);
    const v = edge * loudness * tone + hum + noise * TRIANGULAR_TO_UNIT_STD * (rng.next() + rng.next() - 1);
    out[i] = v < -1 ? -1 : v > 1 ? 1 : v;
    phase += (2 * Math.PI * hz) / f.sampleRate;
    if (phase > 2 * Math.PI) phase -= 2 * Math.PI;
    hz *= pitchRatio;
    loudness *= loudnessRatio;
  }
  return out;
}
