/**
 * The scene of one clip: the nuisance variation drawn from a seeded stream, and the object's trajectory,
 * which both the video renderer and the audio synthesiser read, so picture and sound move in sync.
 */
import type { Rng } from '../augment/random.js';
import { EMBEDDED_SHAPES, MOTION_DIRECTION, type EmbeddedAttributes, type EmbeddedShape } from './attributes.js';

/** Sizes and rates of the clips (all clips of a dataset share them). */
export interface EmbeddedFormat {
  /** Frames per clip, T (default 8). */
  numFrames: number;
  /** Frame height and width in pixels (default 32 x 32). */
  height: number;
  width: number;
  /** Frame rate (default 10 fps, the pre-training rate of vatt-spec.md section 1.1): a clip lasts numFrames / fps seconds. */
  fps: number;
  /** Audio sample rate (default 5120 Hz, so 0.8 s = 4096 samples = 32 patches of 128, section 1.2). */
  sampleRate: number;
  /** Samples per clip: numFrames / fps * sampleRate, the same time span as the frames. */
  numSamples: number;
  /** Captions per clip, K (default 5: the description + 4 narrations, section 6.3). */
  numCaptions: number;
}

export type EmbeddedFormatOptions = Partial<Omit<EmbeddedFormat, 'numSamples'>>;

/** Fills defaults and checks the sizes; throws an Error naming a bad field. */
export function resolveEmbeddedFormat(o: EmbeddedFormatOptions = {}): EmbeddedFormat {
  const numFrames = o.numFrames ?? 8;
  const height = o.height ?? 32;
  const width = o.width ?? 32;
  const fps = o.fps ?? 10;
  const sampleRate = o.sampleRate ?? 5120;
  const numCaptions = o.numCaptions ?? 5;
  const int = (name: string, v: number, min: number) => {
    if (!Number.isInteger(v) || v < min) throw new Error(`embedded dataset: ${name} must be an integer >= ${min}; got ${v}`);
  };
  int('numFrames', numFrames, 2);
  int('height', height, 16);
  int('width', width, 16);
  int('numCaptions', numCaptions, 1);
  if (!(fps > 0)) throw new Error(`embedded dataset: fps must be > 0; got ${fps}`);
  if (!(sampleRate >= 1000)) throw new Error(`embedded dataset: sampleRate must be >= 1000 Hz; got ${sampleRate}`);
  const numSamples = (numFrames / fps) * sampleRate;
  if (!Number.isInteger(numSamples)) {
    throw new Error(`embedded dataset: numFrames / fps * sampleRate must be a whole number of samples; got ${numFrames} / ${fps} * ${sampleRate} = ${numSamples}`);
  }
  return { numFrames, height, width, fps, sampleRate, numSamples, numCaptions };
}

/** A static grey shape that neither moves nor sounds nor is described: it makes "which object" matter. */
export interface EmbeddedDistractor {
  shape: EmbeddedShape;
  x: number;
  y: number;
  radius: number;
  gray: number;
}

/** Everything about a clip that its attributes do not fix (and no caption mentions). */
export interface EmbeddedNuisance {
  /** Object radius in pixels (about 13-19 % of the frame). */
  radius: number;
  /** In-plane rotation of the shape, radians (|r| <= 0.25). */
  rotation: number;
  /** Object centre at frame 0, pixels (x right, y down). */
  start: [number, number];
  /** Speed in pixels per frame along the motion direction (travels 30-45 % of the frame over the clip). */
  speed: number;
  /** Object colour offset per channel (about +-15 levels). */
  colorJitter: [number, number, number];
  /** Background: dark low-saturation tint, a linear gradient across the frame, and per-pixel noise amplitude. */
  background: { tint: [number, number, number]; gradient: [number, number]; noise: number };
  distractor: EmbeddedDistractor | null;
  /** Audio: overall gain, detune factor (+-3 %), oscillator start phase, mains-like hum and white noise. */
  audio: { gain: number; detune: number; phase: number; humHz: number; humLevel: number; noise: number };
}

/** Draws a clip's nuisance from `rng`; `distractorProbability` is the chance of a static grey distractor. */
export function sampleNuisance(a: EmbeddedAttributes, f: EmbeddedFormat, rng: Rng, distractorProbability: number): EmbeddedNuisance {
  const extent = Math.min(f.height, f.width);
  const radius = extent * rng.uniform(0.13, 0.19);
  const [dx, dy] = MOTION_DIRECTION[a.motion];
  const along = dx !== 0 ? f.width : f.height;
  const travel = along * rng.uniform(0.3, 0.45);
  const speed = travel / (f.numFrames - 1);
  // Keep the object fully inside the frame at every frame: start is uniform over the positions that allow it.
  const margin = radius + 1;
  const axisStart = (size: number, dir: number) => {
    const low = dir < 0 ? margin + travel : margin;
    const high = dir > 0 ? size - margin - travel : size - margin;
    return rng.uniform(low, Math.max(low, high));
  };
  const start: [number, number] = [axisStart(f.width, dx), axisStart(f.height, dy)];
  const colorJitter: [number, number, number] = [rng.uniform(-15, 15), rng.uniform(-15, 15), rng.uniform(-15, 15)];
  const level = rng.uniform(20, 70);
  const tint: [number, number, number] = [level + rng.uniform(-12, 12), level + rng.uniform(-12, 12), level + rng.uniform(-12, 12)];
  const background = { tint, gradient: [rng.uniform(-15, 15), rng.uniform(-15, 15)] as [number, number], noise: rng.uniform(4, 12) };
  let distractor: EmbeddedDistractor | null = null;
  if (rng.chance(distractorProbability)) {
    const r = extent * rng.uniform(0.09, 0.13);
    distractor = {
      shape: EMBEDDED_SHAPES[rng.int(EMBEDDED_SHAPES.length)],
      x: rng.uniform(r + 1, f.width - r - 1),
      y: rng.uniform(r + 1, f.height - r - 1),
      radius: r,
      gray: rng.uniform(95, 150),
    };
  }
  const audio = {
    gain: rng.uniform(0.15, 0.3),
    detune: rng.uniform(0.97, 1.03),
    phase: rng.uniform(0, 2 * Math.PI),
    humHz: rng.uniform(45, 75),
    humLevel: rng.uniform(0, 0.04),
    noise: rng.uniform(0.005, 0.02),
  };
  return { radius, rotation: rng.uniform(-0.25, 0.25), start, speed, colorJitter, background, distractor, audio };
}

/**
 * Object centre at time `tau`, measured in frames (frame t shows tau = t; audio sample n is at
 * tau = n * fps / sampleRate). Straight line at constant speed.
 */
export function positionAt(a: EmbeddedAttributes, n: EmbeddedNuisance, tau: number): [number, number] {
  const [dx, dy] = MOTION_DIRECTION[a.motion];
  return [n.start[0] + dx * n.speed * tau, n.start[1] + dy * n.speed * tau];
}
